using CodedResNeXt;

namespace Crx;

/// <summary>Classes named on the command line (--exclude-classes, --class, --classes), by index or by name.</summary>
public static class ClassList
{
    /// <summary>
    /// Parses a comma-separated list of classes, each a 0-based index or a class name (case-insensitive),
    /// e.g. "0,6" or "Sandal,Ankle boot". An empty or blank list excludes nothing; a list with an empty item (",",
    /// "0,,6") is refused: it does not say which classes were meant.
    /// </summary>
    public static IReadOnlyList<int> Parse(string text, IReadOnlyList<string> classNames, string flag = "--exclude-classes")
    {
        var result = new List<int>();
        foreach (string raw in Items(text, flag))
        {
            int byName = -1;
            for (int k = 0; k < classNames.Count; k++)
                if (string.Equals(classNames[k], raw, StringComparison.OrdinalIgnoreCase)) { byName = k; break; }
            if (byName >= 0) result.Add(byName);
            else if (int.TryParse(raw, out int index) && index >= 0 && index < classNames.Count) result.Add(index);
            else
                throw new InvalidInputException($"{flag}: '{raw}' is neither a class index 0..{classNames.Count - 1} nor a class name ({string.Join(", ", classNames)})");
        }
        return result;
    }

    /// <summary>The items of a comma-separated list, trimmed: none for a blank list, a refusal for an empty item.</summary>
    public static string[] Items(string text, string flag)
    {
        if (text.Trim().Length == 0) return [];
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        return items.All(i => i.Length > 0) ? items
            : throw new InvalidInputException($"{flag}: '{text}' has an empty item; give classes separated by commas (0,6), or leave the flag out");
    }
}
