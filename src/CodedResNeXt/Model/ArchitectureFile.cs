using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Model;

/// <summary>
/// Architecture files: an <see cref="ArchitectureSpec"/> as JSON with snake_case names. Loading validates
/// the architecture, and every error names the file.
/// </summary>
public static class ArchitectureFile
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A misspelled or missing field is an error, not a silent default.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public static void Save(ArchitectureSpec architecture, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(architecture, JsonOptions) + "\n");

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
    /// output of `crx info --json` (README offers that output as the starting point of a custom architecture).
    /// </summary>
    private static string ArchitectureOf(string json)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject root
                && root["architecture"] is System.Text.Json.Nodes.JsonObject architecture && root.ContainsKey("total_parameters"))
                return architecture.ToJsonString();
        }
        catch (JsonException) { } // reported by the deserializer below, with its position
        return json;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
