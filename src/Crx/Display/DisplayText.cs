using System.Text;
using Spectre.Console;

namespace Crx.Display;

/// <summary>
/// Text from files shown on the terminal: class names (a folder dataset's class folders, a model file's meta.json),
/// architecture names, file names. Such text can hold terminal escape sequences that retitle or clear the user's
/// terminal, or bidirectional overrides that make it read differently; every verb prints it through here, so control
/// characters appear as visible escapes (<c>\x1b</c>) and Spectre's markup brackets as themselves.
/// </summary>
internal static class DisplayText
{
    /// <summary><paramref name="text"/> with every control and bidirectional-override character written as an escape.</summary>
    public static string Safe(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Any(NeedsEscape)) return text;
        var safe = new StringBuilder(text.Length + 8);
        foreach (char c in text)
            safe.Append(!NeedsEscape(c) ? c.ToString() : c < 0x100 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
        return safe.ToString();
    }

    /// <summary><see cref="Safe"/>, then escaped for Spectre.Console markup.</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Safe(text));

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' or '\u200e' or '\u200f' or '\u061c';
}
