using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt;
using CodedResNeXt.Training;

namespace Crx.Cli;

/// <summary>
/// A training run's recipe as a file (`crx train --config run.json`): a JSON object whose keys are the flags of
/// `crx train` without their dashes ("lr", "batch", "p-drop", …). Flags given on the command line win over the
/// file. Every run writes its resolved recipe as config.json in its folder, which `--config` reads back.
/// </summary>
internal static class RunConfig
{
    public const string Flag = "--config", PrintFlag = "--print-config", FileName = "config.json";

    // Flags that say what to do with a run rather than what the run is.
    private static readonly HashSet<string> NotRecipe = [Flag, PrintFlag, "--resume", "--out", "--help", "-h", "-?"];

    /// <summary>
    /// The command line with the settings of its --config file appended, for every flag the line does not give
    /// itself. Lines of other verbs, and train lines without --config, come back as they are.
    /// </summary>
    public static string[] Expand(Command train, string[] args)
    {
        if (args.Length == 0 || args[0] != train.Name) return args;
        int at = Array.IndexOf(args, Flag);
        if (at < 0 || at + 1 >= args.Length) return args;
        string path = args[at + 1];
        var recipe = Read(path);
        var known = train.Options.Select(o => o.Name).ToHashSet();
        var given = args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]).ToHashSet();
        var added = new List<string>();
        foreach (var (key, value) in recipe)
        {
            string flag = "--" + key;
            if (!known.Contains(flag) || NotRecipe.Contains(flag))
                throw InvalidInputException.ForFile(path, $"'{key}' is not a setting of a run (the keys are crx train's flags without --, as in {FileName})");
            if (given.Contains(flag) || value is null) continue;
            added.AddRange([flag, Text(value, path, key)]);
        }
        return [.. args, .. added];
    }

    /// <summary>The resolved recipe of a run, keyed as a --config file: what its config.json holds.</summary>
    /// <param name="dataDir">where the data is (null: the dataset's default)</param>
    /// <param name="excludeClasses">the classes left out as given (names or indices), when not yet resolved</param>
    public static JsonObject Of(TrainingOptions o, string? dataDir, bool coarseLabels, string? excludeClasses = null)
    {
        var augmentation = o.Augmentation;
        var recipe = new JsonObject
        {
            ["dataset"] = o.Dataset,
            ["data-dir"] = dataDir,
            ["arch"] = o.Architecture,
            ["control"] = o.Control,
            ["epochs"] = o.Epochs,
            ["batch"] = o.BatchSize,
            ["accumulate"] = o.Accumulate,
            ["lr"] = o.LearningRate,
            ["min-lr"] = o.MinLearningRate,
            ["warmup"] = o.WarmupEpochs,
            ["weight-decay"] = o.WeightDecay,
            ["momentum"] = o.Momentum,
            ["nesterov"] = o.Nesterov,
            ["mu"] = o.Mu,
            ["p-drop"] = o.PDrop,
            ["loss-exponent"] = o.LossExponent,
            ["loss-threshold"] = o.LossThreshold,
            ["randaugment"] = augmentation.RandAugment?.ToString() ?? "none",
            ["crop-padding"] = augmentation.CropPadding,
            ["flip"] = augmentation.HorizontalFlip,
            ["exclude-classes"] = excludeClasses ?? (o.ExcludeClasses.Count == 0 ? null : string.Join(",", o.ExcludeClasses)),
            ["normalization"] = o.Normalization.ToString().ToLowerInvariant(),
            ["seed"] = o.Seed,
            ["threads"] = o.Threads,
            ["workers"] = o.Workers == 0 ? null : o.Workers,
            ["init-from"] = o.InitFrom,
        };
        if (coarseLabels) recipe["coarse-labels"] = true;
        if (o.Folder is { } folder)
        {
            recipe["image-size"] = folder.Crop;
            recipe["resize-size"] = folder.Resize;
            recipe["crop-size"] = augmentation.ResizedCrop;
        }
        return recipe;
    }

    public static string ToJson(JsonObject recipe) =>
        recipe.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static JsonObject Read(string path)
    {
        string text;
        try { text = InputFile.ReadText(path, InputFile.SmallText, "recipe file"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw InvalidInputException.ForFile(path, $"cannot read the recipe ({e.Message})"); }
        try
        {
            // A flag named twice would mean what the last (or the first) says, depending on the reader: refused.
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                   ?? throw InvalidInputException.ForFile(path, "a recipe is a JSON object of flag names and values");
        }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"not valid JSON: {e.Message.Split('\n')[0]}"); }
    }

    private static string Text(JsonNode value, string path, string key) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => value.GetValue<double>().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw InvalidInputException.ForFile(path, $"'{key}' must be a string, a number or true/false"),
    };
}
