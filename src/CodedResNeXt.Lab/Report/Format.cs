using System.Globalization;

namespace CodedResNeXt.Report;

/// <summary>How numbers read in the report: culture-independent, fractions as percentages.</summary>
internal static class Format
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Percent(double fraction) => (100 * fraction).ToString("0.00", Invariant) + " %";

    public static string Count(long value) => value.ToString("N0", Invariant);

    public static string Number(double value, string format = "0.000") => value.ToString(format, Invariant);
}
