using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Crx.Cli;

/// <summary>
/// Turns System.CommandLine's first parse error into the one line docs/cli.md promises: what is wrong, naming the flag, and where
/// the verb's flags are listed. Its own conversion message names .NET types (System.Nullable`1[System.Int32]).
/// </summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parsed)
    {
        // An unknown word explains the rest ("Required command was not provided" follows from a misspelled verb).
        var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
        string hint = $"see crx {CommandPath(parsed.CommandResult)}--help";
        string what = Conversion(error) ?? Rephrase(error.Message.Trim().TrimEnd('.'));
        return $"{what}; {hint}";
    }

    /// <summary>System.CommandLine's common messages in the form of docs/cli.md: the flag first.</summary>
    private static string Rephrase(string message)
    {
        if (Regex.Match(message, "^Unrecognized command or argument '(.*)'$") is { Success: true } unknown)
            return unknown.Groups[1].Value.StartsWith('-') ? $"{unknown.Groups[1].Value}: unknown flag" : $"'{unknown.Groups[1].Value}': unknown verb or argument";
        if (Regex.Match(message, "^Option '(.*)' is required$") is { Success: true } required)
            return $"{required.Groups[1].Value}: required";
        if (message == "Required command was not provided") return "no verb given";
        return message;
    }

    /// <summary>"--epochs: 'ten' is not an integer" for a value that does not convert, else null.</summary>
    private static string? Conversion(ParseError error)
    {
        var option = Ancestors(error.SymbolResult).OfType<OptionResult>().FirstOrDefault();
        if (option is null || !error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)) return null;
        string token = option.Tokens.Count > 0 ? option.Tokens[^1].Value : "";
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        string expected = type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false"
            : "a valid value";
        return $"{option.Option.Name}: '{token}' is not {expected}";
    }

    private static IEnumerable<SymbolResult> Ancestors(SymbolResult? result)
    {
        for (; result is not null; result = result.Parent) yield return result;
    }

    /// <summary>"train " for `crx train …`, "" for the root.</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is CommandResult c && c.Parent is not null; r = r.Parent) names.Insert(0, c.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
