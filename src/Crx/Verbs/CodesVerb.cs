using Crx.Display;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt;
using CodedResNeXt.CodingSchemes;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx codes`: generate a coding scheme (docs/method.md#coding-schemes) and show its quality, check a scheme file, or
/// list the built-in (published) schemes.
/// </summary>
internal static class CodesVerb
{
    /// <summary>What a `codes` command line asks for, one field per flag.</summary>
    private sealed record Arguments(int? Classes, int? SubNNs, int? Active, int? MinDistance, int Seed, string? Out, string? Check, bool List, bool Json, TextWriter Output);

    /// <summary>Up to this many classes the codewords are printed; beyond, they go to a file only.</summary>
    private const int PrintedClasses = 100;

    public static Command Create()
    {
        var classes = new Option<int?>("--classes") { HelpName = "K", Description = "K: the number of classes, one codeword each" };
        var subNNs = new Option<int?>("--subnns") { HelpName = "N", Description = "N: the number of subNNs, the codeword length (at most 64)" };
        var active = new Option<int?>("--active") { HelpName = "N_act", Description = "N_act: the number of ones in every codeword" };
        var minDistance = new Option<int?>("--min-distance")
        {
            HelpName = "H",
            Description = "H_min to enforce; by default the largest one for which the greedy packing keeps K words",
        };
        var seed = new Option<int>("--seed") { HelpName = "S", Description = "seed of the randomized picks", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { HelpName = "FILE", Description = "write the generated scheme to this JSON file" };
        var check = new Option<string?>("--check") { HelpName = "FILE", Description = "validate this scheme file and show its metrics" };
        var list = new Option<bool>("--list") { Description = "list the built-in (published) schemes with their metrics" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };

        var command = new Command("codes", "Generate a coding scheme and show its quality, check a scheme file, or list the built-in schemes.")
        {
            classes, subNNs, active, minDistance, seed, output, check, list, json,
        };
        command.SetAction(parse => Run(new Arguments(parse.GetValue(classes), parse.GetValue(subNNs), parse.GetValue(active), parse.GetValue(minDistance), parse.GetValue(seed), parse.GetValue(output), parse.GetValue(check), parse.GetValue(list), parse.GetValue(json), parse.InvocationConfiguration.Output)));
        return command;
    }

    private static int Run(Arguments a)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(a.Output) });
        // Spectre assumes 80 columns when the output is a file or pipe; tables read better unwrapped there.
        if (!console.Profile.Out.IsTerminal) console.Profile.Width = 200;
        bool generate = a.Classes is not null || a.SubNNs is not null || a.Active is not null;
        string? checkPath = a.Check;
        int modes = (generate ? 1 : 0) + (checkPath is not null ? 1 : 0) + (a.List ? 1 : 0);
        if (modes != 1)
            throw new InvalidInputException("codes: give exactly one of --list, --check FILE, or --classes K --subnns N --active A");
        if (!generate && (a.Out is not null || a.MinDistance is not null))
            throw new InvalidInputException("codes: --out and --min-distance apply only when generating (--classes, --subnns, --active)");

        if (a.List) List(console, a.Output, a.Json);
        else if (checkPath is not null) Check(console, a.Output, checkPath, a.Json);
        else
        {
            Generate(console, a.Output, Required(a.Classes, "--classes"), Required(a.SubNNs, "--subnns"), Required(a.Active, "--active"),
                a.MinDistance, a.Seed, a.Out, a.Json);
        }
        return 0;
    }

    private static int Required(int? value, string flag) =>
        value ?? throw new InvalidInputException($"codes: {flag} is required to generate a scheme (with --classes, --subnns and --active)");

    private static void Generate(IAnsiConsole console, TextWriter output, int classes, int subNNs, int active, int? minDistance, int seed,
        string? outPath, bool json)
    {
        // The packing can take minutes: an --out that cannot be written is refused before it starts.
        if (outPath is not null) Crx.Cli.OutputPaths.RequireWritableFile(outPath, "--out");
        var result = Crx.Display.PackingProgress.Run(subNNs, active,
            (progress, cancel) => CodingScheme.Generate(classes, subNNs, active, minDistance, seed, progress: progress, cancellationToken: cancel));
        var scheme = result.Scheme;
        // Large schemes are not printed, so they must land in a file the user can find.
        string? written = outPath ?? (scheme.Classes > PrintedClasses && !json
            ? $"scheme-{scheme.Classes}-{scheme.Active}of{scheme.SubNNs}.json"
            : null);
        if (written is not null) scheme.Save(written);

        if (json)
        {
            output.WriteLine(new JsonObject
            {
                ["scheme"] = JsonNode.Parse(scheme.ToJson()),
                ["metrics"] = MetricsJson(scheme),
                ["packing_distance"] = result.PackingDistance,
                ["min_distance_requested"] = minDistance,
                ["packed_words"] = result.PackedWords,
                ["selection"] = result.Selection,
                ["attempts"] = result.Attempts,
                ["seed"] = seed,
                ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
                ["written_to"] = written,
            }.ToJsonString(Indented));
            return;
        }

        var table = MetricsTable($"Coding scheme {scheme.Name}", scheme, minDistance is null
            ? $"{result.PackingDistance} (the largest at which the packing keeps K words)"
            : $"{result.PackingDistance} (requested)");
        table.AddRow("Packed words", $"{result.PackedWords} (greedy packing in increasing order)");
        table.AddRow("Selection", result.Selection switch
        {
            "Exhaustive" => "the best of every K-subset of the packed words",
            "GreedyFromPacking" => $"randomized greedy among the packed words ({result.Attempts} attempts, seed {seed})",
            _ => $"randomized greedy among all words, as no K packed words balance ({result.Attempts} attempts in all, seed {seed})",
        });
        table.AddRow("Time", $"{result.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
        console.Write(table);

        if (scheme.Classes <= PrintedClasses)
        {
            var words = new Table().AddColumn("Class").AddColumn("Codeword");
            for (int k = 0; k < scheme.Classes; k++) words.AddRow(k.ToString(CultureInfo.InvariantCulture), CodingScheme.Format(scheme.Codeword(k)));
            console.Write(words);
        }
        if (written is not null) console.WriteLine($"Codewords written to {written}");
    }

    private static void Check(IAnsiConsole console, TextWriter output, string path, bool json)
    {
        var scheme = CodingScheme.Load(path);
        if (json)
        {
            output.WriteLine(new JsonObject
            {
                ["file"] = path,
                ["name"] = scheme.Name,
                ["valid"] = true,
                ["metrics"] = MetricsJson(scheme),
            }.ToJsonString(Indented));
            return;
        }
        console.WriteLine($"{DisplayText.Safe(path)}: valid coding scheme '{DisplayText.Safe(scheme.Name)}'");
        console.Write(MetricsTable($"Coding scheme {scheme.Name}", scheme));
    }

    private static void List(IAnsiConsole console, TextWriter output, bool json)
    {
        var all = CodingScheme.Published;
        if (json)
        {
            output.WriteLine(new JsonArray(all.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["used_in_paper_architecture"] = s.UsedInPaperArchitecture,
                ["metrics"] = MetricsJson(s),
            }).ToArray()).ToJsonString(Indented));
            return;
        }
        var table = new Table { Title = new TableTitle("Built-in coding schemes (published with the paper)") };
        foreach (var column in new[] { "Name", "K", "N_act/N", "H_min", "Pairs at H_min", "Column sums", "Balanced", "In the paper's networks" })
            table.AddColumn(column);
        foreach (var m in all)
        {
            table.AddRow(
                DisplayText.Markup(m.Name),
                m.Classes.ToString(CultureInfo.InvariantCulture),
                $"{m.Active}/{m.SubNNs}",
                m.MinHamming?.ToString(CultureInfo.InvariantCulture) ?? "-",
                m.MinHamming is int h ? m.DistanceHistogram[h].ToString(CultureInfo.InvariantCulture) : "-",
                $"{m.MinColumnSum}..{m.MaxColumnSum}",
                m.PerfectlyBalanced ? "yes" : "no",
                m.UsedInPaperArchitecture ? "yes" : "");
        }
        console.Write(table);
    }

    /// <summary>The quantities every mode shows: K, N, N_act, distances and column sums.</summary>
    private static Table MetricsTable(string title, CodingScheme m, string? enforcedDistance = null)
    {
        var table = new Table { Title = new TableTitle(DisplayText.Markup(title)) }.AddColumn("Quantity").AddColumn("Value");
        table.AddRow("Classes K", m.Classes.ToString(CultureInfo.InvariantCulture));
        table.AddRow("SubNNs N", m.SubNNs.ToString(CultureInfo.InvariantCulture));
        table.AddRow("Active N_act", $"{m.Active} (r = {((double)m.Active / m.SubNNs).ToString("0.###", CultureInfo.InvariantCulture)})");
        if (enforcedDistance is not null) table.AddRow("H_min enforced", enforcedDistance);
        table.AddRow("H_min reached", m.MinHamming?.ToString(CultureInfo.InvariantCulture) ?? "- (one class)");
        table.AddRow("Pairs per distance", string.Join("  ", m.DistanceHistogram.Select(kv => $"{kv.Key}: {kv.Value}")));
        table.AddRow("Column sums", $"{m.MinColumnSum}..{m.MaxColumnSum}");
        double perColumn = (double)m.Classes * m.Active / m.SubNNs;
        table.AddRow("Perfectly balanced", (m.PerfectlyBalanced ? "yes" : "no")
            + $" (r*K = {perColumn.ToString("0.##", CultureInfo.InvariantCulture)})");
        return table;
    }

    private static JsonObject MetricsJson(CodingScheme m) => new()
    {
        ["classes"] = m.Classes,
        ["subnns"] = m.SubNNs,
        ["active"] = m.Active,
        ["min_hamming"] = m.MinHamming,
        ["distance_histogram"] = new JsonObject(m.DistanceHistogram.Select(kv =>
            KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value))),
        ["column_sums"] = new JsonArray(m.ColumnSums.Select(s => (JsonNode)s).ToArray()),
        ["min_column_sum"] = m.MinColumnSum,
        ["max_column_sum"] = m.MaxColumnSum,
        ["perfectly_balanced"] = m.PerfectlyBalanced,
    };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
