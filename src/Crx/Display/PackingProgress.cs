using System.Diagnostics;
using System.Globalization;
using CodedResNeXt.CodingSchemes;
using Crx.Cli;
using Spectre.Console;

namespace Crx.Display;

/// <summary>
/// Shows the coding-scheme search on standard error (standard output may be the --json result): a live status on
/// a terminal, else a line when a distance starts and every few seconds. Each says how far the packing is and how
/// long the distance will take at the current rate, so a search out of reach shows itself in seconds.
/// SIGINT or SIGTERM stops it.
/// </summary>
internal static class PackingProgress
{
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    public static T Run<T>(int subNNs, int active, Func<IProgress<(int Distance, double Fraction, int Kept)>, CancellationToken, T> search)
    {
        using var interruption = new Interruption();
        var clock = Stopwatch.StartNew();
        int distance = -1;
        string words = $"C({subNNs},{Math.Min(active, subNNs - active)})";
        string Describe((int Distance, double Fraction, int Kept) p)
        {
            if (p.Distance != distance) { distance = p.Distance; clock.Restart(); }
            string eta = p.Fraction <= 0 ? "" : $"; this distance ends in {Duration(clock.Elapsed.TotalSeconds * (1 - p.Fraction) / p.Fraction)} at this rate";
            return $"packing codewords at minimum distance {p.Distance}: {p.Fraction.ToString("P4", CultureInfo.InvariantCulture)} of the {words} words passed, {p.Kept} kept{eta}";
        }

        if (!Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return console.Status().Start("packing codewords", ctx =>
                search(new Reporter(p => ctx.Status(DisplayText.Markup(Describe(p)))), interruption.Token));
        }
        var lastLine = Stopwatch.StartNew();
        return search(new Reporter(p =>
        {
            bool started = p.Distance != distance;
            string line = Describe(p);
            if (!started && lastLine.Elapsed < LineInterval) return;
            Console.Error.WriteLine($"crx codes: {line}");
            lastLine.Restart();
        }), interruption.Token);
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 90 => $"{seconds:F0} s",
        < 5400 => $"{seconds / 60:F0} min",
        < 172800 => $"{seconds / 3600:F0} h",
        < 3.2e7 * 2 => $"{seconds / 86400:F0} days",
        _ => $"{seconds / 3.156e7:G3} years",
    };

    /// <summary>Reports on the searching thread, synchronously.</summary>
    private sealed class Reporter(Action<(int Distance, double Fraction, int Kept)> report) : IProgress<(int Distance, double Fraction, int Kept)>
    {
        public void Report((int Distance, double Fraction, int Kept) value) => report(value);
    }
}
