using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CodedResNeXt.Data;

namespace CodedResNeXt.Training;

/// <summary>
/// A training run as a file: what defines it (<see cref="Options"/>, the record itself), where its images are read, and
/// the parts of <see cref="TrainingSetup"/> a file keeps (threads, workers, initial weights). A run folder's
/// config.json and a run of an experiment file are this record as JSON, its names snake_case as the checkpoint
/// stores its options: <c>{ "options": { "dataset": "fashion-mnist", "architecture": "fashion-tiny", "mu": 6, ... }, "threads": 2 }</c>.
/// A file may give only some options: the rest are the dataset's recipe (<see cref="TrainingOptions.For"/>).
/// </summary>
public sealed record TrainingRecipe
{
    /// <summary>What defines the run.</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>Where the images are read (null: the dataset's default folder).</summary>
    public string? DataDir { get; init; }
    /// <summary>CIFAR-100: the run trains on the 20 coarse superclasses.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CoarseLabels { get; init; }
    /// <summary>libtorch's thread count (<see cref="TrainingSetup.Threads"/>; null: the caller's).</summary>
    public int? Threads { get; init; }
    /// <summary>Threads preparing batches (<see cref="TrainingSetup.Workers"/>; null: the caller's).</summary>
    public int? Workers { get; init; }
    /// <summary>The checkpoint whose weights the run starts from (<see cref="TrainingSetup.InitFrom"/>; null: fresh weights).</summary>
    public string? InitFrom { get; init; }

    // How recipes are written (those of model files) and read (the same, but a name that is not a property is an error).
    private static readonly JsonSerializerOptions Write = ModelFiles.ModelFile.Json;
    private static readonly JsonSerializerOptions Read = new(ModelFiles.ModelFile.Json) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>How the run's images are read: its data folder, coarse labels, and a folder dataset's sizes (<see cref="TrainingOptions.Folder"/>).</summary>
    public DatasetOptions ReadingOptions() => new()
    {
        DataDir = DataDir,
        CoarseLabels = CoarseLabels,
        ImageSize = Options.Folder?.Crop ?? new DatasetOptions().ImageSize,
        ResizeSize = Options.Folder?.Resize,
    };

    /// <summary><paramref name="setup"/> with the threads, workers and initial weights this recipe gives (the others kept).</summary>
    /// <param name="setup">the run folder, device and the rest</param>
    public TrainingSetup Apply(TrainingSetup setup) => setup with
    {
        Threads = Threads ?? setup.Threads,
        Workers = Workers ?? setup.Workers,
        InitFrom = InitFrom ?? setup.InitFrom,
    };

    /// <summary>The recipe as JSON, indented, with a final newline: what a run folder's config.json holds.</summary>
    public string ToJson() => ToJsonObject().ToJsonString(Write) + "\n";

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (a stop mid-write leaves the file as it was).</summary>
    /// <param name="path">the file, e.g. a run folder's config.json</param>
    public void Save(string path) => OutputFile.WriteText(path, ToJson());

    /// <summary>The recipe as a JSON object (what <see cref="ToJson"/> writes), for files that hold recipes among other things.</summary>
    public JsonObject ToJsonObject()
    {
        var json = (JsonObject)JsonSerializer.SerializeToNode(this, Write)!;
        // What follows from the options (mu as used) is not a setting: a file that changed mu would contradict it.
        json["options"]!.AsObject().Remove("effective_mu");
        return json;
    }

    /// <summary>Whether <paramref name="json"/> is a recipe in this form (an object with an "options" object), not some other file.</summary>
    /// <param name="json">a parsed JSON file</param>
    public static bool IsRecipe(JsonNode? json) => json is JsonObject root && root["options"] is JsonObject;

    /// <summary>
    /// Reads a recipe; options it leaves out are the dataset's recipe. An <see cref="InvalidInputException"/> names
    /// <paramref name="source"/> and what is wrong (a name that is not a setting, a value of the wrong kind, a range).
    /// </summary>
    /// <param name="json">the recipe as a JSON object</param>
    /// <param name="source">the file it came from, for errors</param>
    public static TrainingRecipe FromJson(JsonNode? json, string source)
    {
        if (json is not JsonObject root || root["options"] is not JsonObject given)
            throw InvalidInputException.ForFile(source, "a recipe is a JSON object with the training options under \"options\" (as a run's config.json)");
        if (given["dataset"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
            throw InvalidInputException.ForFile(source, "options.dataset must name the dataset");
        int crop = given["folder"] is JsonObject { } folder && folder["crop"] is JsonValue side && side.TryGetValue(out int c) ? c : 160;
        var options = (JsonObject)JsonSerializer.SerializeToNode(TrainingOptions.For(name.GetValue<string>(), crop), Write)!;
        Merge(options, given);
        var whole = (JsonObject)root.DeepClone();
        whole["options"] = options;
        TrainingRecipe? recipe;
        try { recipe = whole.Deserialize<TrainingRecipe>(Read); }
        catch (JsonException e)
        {
            throw InvalidInputException.ForFile(source, $"{(e.Path is { Length: > 2 } path ? path[2..] + ": " : "")}{e.Message.Split('\n')[0].Split(" Path: ")[0]}");
        }
        return recipe ?? throw InvalidInputException.ForFile(source, "is empty");
    }

    /// <summary>The recipe in <paramref name="text"/>, the text of <paramref name="source"/>.</summary>
    /// <param name="text">JSON text</param>
    /// <param name="source">the file it came from, for errors</param>
    public static TrainingRecipe Parse(string text, string source) => FromJson(ParseJson(text, source), source);

    /// <summary>Reads a recipe file (<see cref="ReadJson"/>, then <see cref="FromJson"/>).</summary>
    /// <param name="path">the file, e.g. a run folder's config.json</param>
    public static TrainingRecipe Load(string path) => FromJson(ReadJson(path), path);

    /// <summary>
    /// The JSON of a recipe file, read as the library reads every file it is given (a regular file, at most 1 MiB, no
    /// name twice), for a caller that reads other forms of recipe too; <see cref="IsRecipe"/> says whether it is this one.
    /// </summary>
    /// <param name="path">the file</param>
    public static JsonNode? ReadJson(string path) => ParseJson(InputFile.ReadText(path, InputFile.SmallText, "recipe file"), path);

    private static JsonNode? ParseJson(string text, string source)
    {
        // A name given twice would mean what the last (or the first) says, depending on the reader: refused.
        try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw InvalidInputException.ForFile(source, $"not valid JSON: {e.Message.Split('\n')[0]}"); }
    }

    // The given object's names replace or, for objects on both sides, are merged into the basis's.
    private static void Merge(JsonObject basis, JsonObject given)
    {
        foreach (var (key, value) in given)
        {
            if (value is JsonObject inner && basis[key] is JsonObject under) Merge(under, inner);
            else basis[key] = value?.DeepClone();
        }
    }
}
