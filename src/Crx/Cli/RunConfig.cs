using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt;
using CodedResNeXt.Training;

namespace Crx.Cli;

/// <summary>
/// A training run's recipe as a file (`crx train --config run.json`): the <see cref="TrainingRecipe"/> record as JSON,
/// the training options by property under "options" (what every run writes as config.json in its folder, and
/// `--print-config` prints). Flags given on the command line win over the file. Files written before the recipe was
/// a record, a JSON object keyed by the flags of `crx train` without their dashes ("lr", "batch", "p-drop", …), still
/// read: their settings become the flags the command line does not give itself.
/// </summary>
internal static class RunConfig
{
    public const string Flag = "--config", PrintFlag = "--print-config", FileName = "config.json";

    // Flags that say what to do with a run rather than what the run is.
    private static readonly HashSet<string> NotRecipe = [Flag, PrintFlag, "--resume", "--out", "--help", "-h", "-?"];

    /// <summary>
    /// The command line with the settings of its flag-keyed --config file appended, for every flag the line does not
    /// give itself. Lines of other verbs, train lines without --config, and recipe files in the record's form (which
    /// `crx train` reads itself, <see cref="ReadRecipe"/>) come back as they are.
    /// </summary>
    public static string[] Expand(Command train, string[] args)
    {
        if (args.Length == 0 || args[0] != train.Name) return args;
        int at = Array.IndexOf(args, Flag);
        if (at < 0 || at + 1 >= args.Length) return args;
        string path = args[at + 1];
        var file = Read(path);
        if (TrainingRecipe.IsRecipe(file)) return args;
        if (file is not JsonObject keyed) throw InvalidInputException.ForFile(path, "a recipe is a JSON object: the training options under \"options\", as a run's config.json holds them");
        return [.. args, .. Arguments(train, keyed, path, args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]).ToHashSet())];
    }

    /// <summary>A flag-keyed recipe (the form written before the record) as the flags it stands for, leaving out those in <paramref name="given"/>.</summary>
    public static IReadOnlyList<string> Arguments(Command train, JsonObject keyed, string path, IReadOnlySet<string>? given = null)
    {
        var known = train.Options.Select(o => o.Name).ToHashSet();
        var added = new List<string>();
        foreach (var (key, value) in keyed)
        {
            string flag = "--" + key;
            if (!known.Contains(flag) || NotRecipe.Contains(flag))
                throw InvalidInputException.ForFile(path, $"'{key}' is not a setting of a run (the keys are crx train's flags without --, as in {FileName} files written before the options were kept by property)");
            if (given?.Contains(flag) == true || value is null) continue;
            added.AddRange([flag, Text(value, path, key)]);
        }
        return added;
    }

    /// <summary>The recipe in a --config file of the record's form; null for a flag-keyed file (expanded into flags by <see cref="Expand"/>).</summary>
    public static TrainingRecipe? ReadRecipe(string path)
    {
        var file = Read(path);
        return TrainingRecipe.IsRecipe(file) ? TrainingRecipe.FromJson(file, path) : null;
    }

    /// <summary>
    /// A resumed run's recipe: its checkpoint's options, with the threads (at most this machine's cores), workers, data
    /// folder and initial weights its folder's config.json gives, in either form; none when the file is missing or unreadable.
    /// </summary>
    public static TrainingRecipe Resumed(string directory, TrainingOptions options)
    {
        var recipe = new TrainingRecipe { Options = options };
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return recipe;
        try
        {
            var file = Read(path);
            bool record = TrainingRecipe.IsRecipe(file);
            int? threads = file?["threads"]?.GetValue<int>(), workers = file?["workers"]?.GetValue<int>();
            string? initFrom = file?[record ? "init_from" : "init-from"]?.GetValue<string>(), dataDir = file?[record ? "data_dir" : "data-dir"]?.GetValue<string>();
            // A run made on a larger machine keeps its thread count only up to this machine's cores.
            return recipe with
            {
                Threads = threads is { } t ? Math.Min(t, Environment.ProcessorCount) : null, Workers = workers, InitFrom = initFrom, DataDir = dataDir,
            };
        }
        catch (Exception e) when (e is InvalidInputException or InvalidOperationException or FormatException) { return recipe; }
    }

    private static JsonNode? Read(string path) => TrainingRecipe.ReadJson(path);

    private static string Text(JsonNode value, string path, string key) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => value.GetValue<double>().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw InvalidInputException.ForFile(path, $"'{key}' must be a string, a number or true/false"),
    };
}
