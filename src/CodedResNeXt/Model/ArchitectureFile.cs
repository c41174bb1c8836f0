using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Model;

/// <summary>
/// Architecture files: an <see cref="ArchitectureSpec"/> as JSON with snake_case names. Loading validates
/// the architecture, and every error names the file.
/// </summary>
internal static class ArchitectureFile
{
    /// <summary>The JSON settings of architecture files (and of architectures inside other JSON): snake_case, indented, nulls left out; unknown or missing fields are errors.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A misspelled or missing field is an error, not a silent default.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        // JSON readers disagree on a repeated name (first wins, last wins, an error): a file that means different
        // things to different readers is refused. meta.json and ONNX metadata inherit this.
        AllowDuplicateProperties = false,
    };

    /// <summary>Writes <paramref name="architecture"/> to <paramref name="path"/> as JSON, replacing any file there.</summary>
    public static void Save(ArchitectureSpec architecture, string path) =>
        OutputFile.WriteText(path, JsonSerializer.Serialize(architecture, JsonOptions) + "\n");

    /// <summary>
    /// Reads and validates the architecture in <paramref name="path"/>: a file written by <see cref="Save"/>, or the output
    /// of `crx info --json`. Throws <see cref="InvalidInputException"/> naming the file when it cannot be read, is not an
    /// architecture, or does not fit <paramref name="schemes"/>.
    /// </summary>
    /// <param name="path">the architecture file</param>
    /// <param name="schemes">the coding schemes the coded blocks may name</param>
    public static ArchitectureSpec Load(string path, CodingSchemeSet schemes)
    {
        string name = Path.GetFileName(path);
        string json;
        try { json = InputFile.ReadText(path, InputFile.SmallText, "architecture file"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InvalidInputException($"{path}: cannot read the architecture file ({e.Message})"); }
        ArchitectureSpec? spec;
        try { spec = JsonSerializer.Deserialize<ArchitectureSpec>(ArchitectureOf(json), JsonOptions); }
        catch (JsonException e)
        { throw new InvalidInputException($"{name}: not a valid architecture file: {FirstLine(e.Message)}"); }
        if (spec is null) throw new InvalidInputException($"{name}: the file holds null, not an architecture");
        spec.Validate(name, schemes);
        return spec;
    }

    /// <summary>A preset name, or else the path of an architecture file.</summary>
    public static ArchitectureSpec LoadPresetOrFile(string presetOrPath, CodingSchemeSet schemes)
    {
        if (Presets.Names.Contains(presetOrPath))
        {
            var preset = Presets.Get(presetOrPath);
            preset.Validate($"preset '{presetOrPath}'", schemes);
            return preset;
        }
        if (File.Exists(presetOrPath)) return Load(presetOrPath, schemes);
        throw new InvalidInputException(
            $"'{presetOrPath}' is neither a preset ({string.Join(", ", Presets.Names)}) nor an existing architecture file");
    }

    /// <summary>
    /// The architecture in a file's JSON: the whole document, or its "architecture" member when the file is the
    /// output of `crx info --json` (docs/cli.md offers that output as the starting point of a custom architecture).
    /// </summary>
    private static string ArchitectureOf(string json)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
                    is System.Text.Json.Nodes.JsonObject root
                && root["architecture"] is System.Text.Json.Nodes.JsonObject architecture && root.ContainsKey("total_parameters"))
                return architecture.ToJsonString();
        }
        catch (JsonException) { } // reported by the deserializer below, with its position
        return json;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
