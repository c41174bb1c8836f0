using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Crx.Cli;

/// <summary>
/// What every flag's value must be, checked where the command line is parsed, each refusal one line naming the flag
/// (<see cref="ParseErrors"/>): numbers in the invariant culture, without group separators (which the invariant
/// culture still skips: "0,1" read as 1 and "1,5" as 15) and finite; an integer with no sign or digits beyond
/// what it holds; no empty value, except where the empty list means "nothing" (<c>--exclude-classes ''</c>). Ranges
/// are each verb's, checked before any work.
/// </summary>
internal static class FlagValues
{
    /// <summary>Flags whose empty value means something: the empty list of classes to leave out.</summary>
    private static readonly HashSet<string> EmptyAllowed = ["--exclude-classes"];

    private const NumberStyles Decimal = NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign
                                         | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Installs the checks on every flag and argument of <paramref name="command"/> and its subcommands.</summary>
    public static Command Checked(Command command)
    {
        foreach (var option in command.Options) Check(option);
        foreach (var argument in command.Arguments)
            if (argument is Argument<string> or Argument<string[]>)
                argument.Validators.Add(result => RequireNotEmpty(result, argument.Name));
        foreach (var sub in command.Subcommands) Checked(sub);
        return command;
    }

    private static void Check(Option option)
    {
        switch (option)
        {
            case Option<double> number: number.CustomParser = result => Number(result, option.Name) ?? 0; break;
            case Option<double?> number: number.CustomParser = result => Number(result, option.Name); break;
            case Option<int> integer: integer.CustomParser = result => (int)(Integer(result, option.Name, int.MinValue, int.MaxValue) ?? 0); break;
            case Option<int?> integer: integer.CustomParser = result => (int?)Integer(result, option.Name, int.MinValue, int.MaxValue); break;
            case Option<long> integer: integer.CustomParser = result => Integer(result, option.Name, long.MinValue, long.MaxValue) ?? 0; break;
            case Option<long?> integer: integer.CustomParser = result => Integer(result, option.Name, long.MinValue, long.MaxValue); break;
            case Option<string> or Option<string?> or Option<string[]> when !EmptyAllowed.Contains(option.Name):
                option.Validators.Add(result => RequireNotEmpty(result, option.Name));
                break;
        }
    }

    /// <summary>The token's number: invariant culture, a point for decimals, no group separators, finite.</summary>
    private static double? Number(ArgumentResult result, string flag)
    {
        if (result.Tokens.Count == 0) return null;
        string token = result.Tokens[^1].Value;
        if (double.TryParse(token, Decimal, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        // "0,1" is 0.1 in half the world and 1 or 01 in the other: neither reading is safe to guess. NaN, infinity
        // and numbers beyond a double (1e999) are no value any flag can take.
        result.AddError(double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double read) && !double.IsFinite(read)
            ? $"{flag}: '{token}' is not a finite number"
            : token.Contains(',')
                ? $"{flag}: '{token}' is not a number: write a decimal point and no group separators (0.1, 1500)"
                : $"{flag}: '{token}' is not a number");
        return null;
    }

    private static long? Integer(ArgumentResult result, string flag, long min, long max)
    {
        if (result.Tokens.Count == 0) return null;
        string token = result.Tokens[^1].Value;
        if (long.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite,
                CultureInfo.InvariantCulture, out long value) && value >= min && value <= max)
            return value;
        result.AddError(token.Trim().TrimStart('-', '+').All(char.IsAsciiDigit) && token.Trim().Length > 0
            ? $"{flag}: '{token}' is too large; give a whole number from {min} to {max}"
            : $"{flag}: '{token}' is not an integer");
        return null;
    }

    private static void RequireNotEmpty(SymbolResult result, string name)
    {
        foreach (var token in result.Tokens)
            if (token.Value.Length == 0)
            {
                result.AddError($"{name}: the value is empty");
                return;
            }
    }
}
