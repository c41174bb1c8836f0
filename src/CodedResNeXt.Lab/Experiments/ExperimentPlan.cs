using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CodedResNeXt.Training;

namespace CodedResNeXt.Experiments;

/// <summary>
/// One run of an experiment: what defines it, as its <see cref="Recipe"/> (the training options by property; the form
/// of new files) or as the `crx train` flags of files written before (<see cref="Train"/>), its output folder set by
/// the experiment; and the `crx analyze` flags that measure its last checkpoint.
/// </summary>
/// <param name="Name">unique within the experiment; the run's folder under <see cref="ExperimentPlan.RunsDirectory"/></param>
/// <param name="Group">runs compared with each other (e.g. a preset); aggregates are per group and variant</param>
/// <param name="Variant">"coded" or "control"; paired differences are coded minus control per seed within a group</param>
/// <param name="Seed">the run's seed; paired differences match a group's coded and control runs by it</param>
/// <param name="Train">`crx train` flags, without --out or --resume (the experiment sets them); null for a run given by its <see cref="Recipe"/></param>
/// <param name="Analyze">`crx analyze` flags, without --checkpoint and --out (the experiment sets them)</param>
public sealed record ExperimentRun(string Name, string Group, string Variant, int Seed, IReadOnlyList<string>? Train, IReadOnlyList<string> Analyze)
{
    /// <summary>The run's recipe: its training options, and where and how it trains; null for a run given by its train flags.</summary>
    [JsonConverter(typeof(RecipeJson))]
    public TrainingRecipe? Recipe { get; init; }

    /// <summary>Whether the run is the control: its recipe's, or --control among its train flags.</summary>
    public bool IsControl => Recipe?.Options.Control ?? Train?.Contains("--control") == true;
}

/// <summary>A recipe inside an experiment file, read and written as <see cref="TrainingRecipe"/> reads and writes its own files.</summary>
internal sealed class RecipeJson : JsonConverter<TrainingRecipe>
{
    public override TrainingRecipe Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TrainingRecipe.FromJson(JsonNode.Parse(ref reader), "recipe");

    public override void Write(Utf8JsonWriter writer, TrainingRecipe value, JsonSerializerOptions options) => value.ToJsonObject().WriteTo(writer);
}

/// <summary>
/// One of the paper's ablations: groups of coded runs that differ from the recipe in one `crx train` flag, reported side by
/// side by that flag's value.
/// </summary>
/// <param name="Name">what is varied, as the report's heading says it</param>
/// <param name="Flag">the `crx train` flag the groups differ in, such as --mu</param>
/// <param name="RecipeValue">the flag's value in a group whose runs do not give it (the recipe's own point)</param>
/// <param name="Groups">the groups, each of one value of the flag</param>
/// <param name="Paper">what the paper reports for this ablation, set beside ours</param>
/// <param name="Claims">the paper's claims about this ablation, each judged by the report from the runs</param>
/// <param name="Prefer">which way to lean among the flag's values whose top-1 ties within the seeds' spread: "larger" or
/// "smaller"; with it the report recommends a value (null: no recommendation)</param>
/// <param name="PreferReason">why that way, as the recommendation says it (e.g. what the larger value buys)</param>
public sealed record Ablation(string Name, string Flag, string RecipeValue, IReadOnlyList<string> Groups, string? Paper = null,
    IReadOnlyList<AblationClaim>? Claims = null, string? Prefer = null, string? PreferReason = null)
{
    /// <summary>The values of <see cref="Prefer"/>.</summary>
    public const string Larger = "larger", Smaller = "smaller";
}

/// <summary>
/// A claim of the paper about how one figure moves as an ablation's flag grows, judged from the runs by the report.
/// </summary>
/// <param name="Figure">"top1", "early_decoders" (every early decoder), "binary_precision" or "binary_recall"</param>
/// <param name="Shape">"rises" (with the flag's value), "falls", or "peaks" (rises up to a value inside the range, then falls)</param>
/// <param name="Text">the claim in words, as the report states it</param>
public sealed record AblationClaim(string Figure, string Shape, string Text)
{
    /// <summary>The values of <see cref="Figure"/>.</summary>
    public const string Top1 = "top1", EarlyDecoders = "early_decoders", BinaryPrecision = "binary_precision", BinaryRecall = "binary_recall";

    /// <summary>The values of <see cref="Shape"/>.</summary>
    public const string Rises = "rises", Falls = "falls", Peaks = "peaks";

    /// <summary>The figures a claim can be about.</summary>
    public static readonly IReadOnlyList<string> Figures = [Top1, EarlyDecoders, BinaryPrecision, BinaryRecall];

    /// <summary>The shapes a claim can have.</summary>
    public static readonly IReadOnlyList<string> Shapes = [Rises, Falls, Peaks];
}

/// <summary>A published result to set ours beside (name, top-1, parameters in millions, where it comes from).</summary>
public sealed record Baseline(string Name, double Top1, double ParametersMillions, string Source);

/// <summary>
/// An experiment file: runs to train and measure, where their folders go, where the results file and the report are
/// written, published baselines and notes (plain sentences, e.g. on the conditions of the runs) for the report. Paths
/// are relative to the working directory.
/// </summary>
public sealed record ExperimentPlan(
    string Name,
    string RunsDirectory,
    string Results,
    string Report,
    IReadOnlyList<ExperimentRun> Runs,
    IReadOnlyList<Baseline>? Baselines = null,
    IReadOnlyList<string>? Notes = null,
    IReadOnlyList<Ablation>? Ablations = null)
{
    /// <summary>
    /// The `crx train` flags that give a recipe (the CLI's flag table): what the command recorded with a run given by
    /// its <see cref="ExperimentRun.Recipe"/> says, and what a recorded run is matched by. Not part of the file.
    /// </summary>
    [JsonIgnore]
    public Func<TrainingRecipe, IReadOnlyList<string>>? RecipeArguments { get; init; }

    /// <summary>The two values of <see cref="ExperimentRun.Variant"/>.</summary>
    public const string CodedVariant = "coded", ControlVariant = "control";

    /// <summary>The JSON of experiment and results files: snake_case names, indented, unmeasured figures as null (<see cref="MissingAsNull"/>).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new MissingAsNull() },
        AllowDuplicateProperties = false,
    };

    /// <summary>The folder of a run's checkpoints, metrics and analysis.</summary>
    public string RunDirectory(ExperimentRun run) => Path.Combine(RunsDirectory, run.Name);

    /// <summary>The train flags of a run with its output folder: what `crx train` is given (for a recipe, through <see cref="RecipeArguments"/>).</summary>
    public IReadOnlyList<string> TrainArguments(ExperimentRun run) =>
    [
        .. run.Train ?? (RecipeArguments ?? throw new InvalidOperationException("the plan was not given the flags of a recipe (RecipeArguments)"))(run.Recipe!),
        "--out", RunDirectory(run),
    ];

    /// <summary>The analyze flags of a run with its checkpoint and report folder: what `crx analyze` is given.</summary>
    public IReadOnlyList<string> AnalyzeArguments(ExperimentRun run) =>
        [.. run.Analyze, "--checkpoint", Path.Combine(RunDirectory(run), "last.ckpt"), "--out", Path.Combine(RunDirectory(run), "report")];

    /// <summary>Reads and checks an experiment file; an <see cref="InvalidInputException"/> names the file and what is wrong.</summary>
    public static ExperimentPlan Load(string path)
    {
        if (!File.Exists(path)) throw InvalidInputException.ForFile(path, "does not exist");
        ExperimentPlan? plan;
        try { plan = JsonSerializer.Deserialize<ExperimentPlan>(InputFile.ReadText(path, InputFile.SmallText, "experiment file"), Json); }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"not an experiment file: {e.Message.Split('\n')[0]}"); }
        catch (InvalidInputException e) when (e.File == "recipe") { throw InvalidInputException.ForFile(path, $"a run's recipe: {e.Problem}"); }
        if (plan is null) throw InvalidInputException.ForFile(path, "is empty");
        string? problem = plan.Problem();
        return problem is null ? plan : throw InvalidInputException.ForFile(path, problem);
    }

    /// <summary>What is wrong with the plan, or null.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(RunsDirectory) || string.IsNullOrWhiteSpace(Results) || string.IsNullOrWhiteSpace(Report))
            return "name, runs_directory, results and report must all be given";
        if (Runs is null || Runs.Count == 0) return "lists no runs";
        var seen = new HashSet<string>();
        foreach (var run in Runs)
        {
            if (string.IsNullOrWhiteSpace(run.Name) || run.Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || run.Name.StartsWith('.'))
                return $"run name '{run.Name}' is not usable as a folder name";
            if (!seen.Add(run.Name)) return $"run '{run.Name}' is listed twice";
            if (run.Variant is not (CodedVariant or ControlVariant)) return $"run '{run.Name}': variant '{run.Variant}' is neither coded nor control";
            if (string.IsNullOrWhiteSpace(run.Group)) return $"run '{run.Name}' has no group";
            if ((run.Train is null) == (run.Recipe is null) || run.Analyze is null)
                return $"run '{run.Name}' needs its recipe (or its train flags, not both) and its analyze flags (an empty list is fine)";
            foreach (var (flags, owned) in new[] { (run.Train ?? [], new[] { "--out", "--resume" }), (run.Analyze, new[] { "--out", "--checkpoint" }) })
                if (flags.FirstOrDefault(f => owned.Contains(f)) is { } flag)
                    return $"run '{run.Name}': {flag} is set by the experiment; leave it out";
            string where = run.Recipe is null ? "among its train flags" : "in its recipe";
            if (run.IsControl != (run.Variant == ControlVariant))
                return $"run '{run.Name}': variant {run.Variant} but {(run.Recipe is null ? "--control" : "control")} is {(run.IsControl ? "" : "not ")}{where}";
            if (run.Recipe is { } recipe)
            {
                if (recipe.Options.Seed != run.Seed) return $"run '{run.Name}': its recipe's seed is {recipe.Options.Seed}, not {run.Seed}";
                continue;
            }
            int at = IndexOf(run.Train!, "--seed");
            if (at < 0 || at + 1 >= run.Train!.Count || run.Train[at + 1] != run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture))
                return $"run '{run.Name}': its train flags must say --seed {run.Seed}";
        }
        foreach (var ablation in Ablations ?? [])
        {
            if (string.IsNullOrWhiteSpace(ablation.Name) || ablation.Flag is null || !ablation.Flag.StartsWith("--", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(ablation.RecipeValue))
                return $"ablation '{ablation.Name}' needs a name, a flag starting with -- and the recipe's value";
            if (ablation.Groups is null || ablation.Groups.Count == 0) return $"ablation '{ablation.Name}' lists no groups";
            if (ablation.Groups.FirstOrDefault(g => Runs.All(r => r.Group != g)) is { } missing)
                return $"ablation '{ablation.Name}': no run is in group '{missing}'";
            foreach (var claim in ablation.Claims ?? [])
                if (claim is null || !AblationClaim.Figures.Contains(claim.Figure) || !AblationClaim.Shapes.Contains(claim.Shape) || string.IsNullOrWhiteSpace(claim.Text))
                    return $"ablation '{ablation.Name}': a claim needs a figure ({string.Join(", ", AblationClaim.Figures)}), " +
                           $"a shape ({string.Join(", ", AblationClaim.Shapes)}) and its text";
            if (ablation.Prefer is not (null or Ablation.Larger or Ablation.Smaller))
                return $"ablation '{ablation.Name}': prefer must be {Ablation.Larger} or {Ablation.Smaller}, not '{ablation.Prefer}'";
        }
        return null;
    }

    /// <summary>
    /// The value of <paramref name="ablation"/>'s flag in <paramref name="group"/>: its first run's, or the recipe's when its
    /// runs do not give the flag. A run given by its recipe has it under the option the flag names in snake_case
    /// (--mu: mu, --p-drop: p_drop, --loss-exponent: loss_exponent), the recipe's value when the run keeps the dataset's.
    /// </summary>
    public string AblationValue(Ablation ablation, string group)
    {
        var run = Runs.First(r => r.Group == group);
        if (run.Recipe is { } recipe)
        {
            var options = recipe.ToJsonObject()["options"]!.AsObject();
            var defaults = new TrainingRecipe { Options = TrainingOptions.For(recipe.Options.Dataset, recipe.Options.Folder?.Crop ?? 160) }.ToJsonObject()["options"]!.AsObject();
            string key = ablation.Flag.TrimStart('-').Replace('-', '_');
            return options[key] is { } value && !JsonNode.DeepEquals(value, defaults[key]) ? value.ToJsonString().Trim('"') : ablation.RecipeValue;
        }
        int at = IndexOf(run.Train!, ablation.Flag);
        return at >= 0 && at + 1 < run.Train!.Count ? run.Train[at + 1] : ablation.RecipeValue;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
