using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodedResNeXt.Analysis;

/// <summary>results.json: <see cref="AnalysisResults"/> in snake_case JSON, NaN written as "NaN" where nothing was measured.</summary>
internal static class AnalysisResultsFile
{
    /// <summary>The file's name inside an analysis directory.</summary>
    public const string FileName = "results.json";

    /// <summary>The serializer options of results.json (snake_case names, NaN as a string); <see cref="Sweep"/> writes sweep.json with them too.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Writes <paramref name="directory"/>/results.json (creating the directory) atomically and returns its path: a kill
    /// while it is rewritten leaves the previous results whole.
    /// </summary>
    public static string Save(AnalysisResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        OutputFile.Write(path, stream => JsonSerializer.Serialize(stream, results, Json));
        return path;
    }

    /// <summary>Reads a results.json written by <see cref="Save"/>; a missing, oversized or malformed file is an <see cref="InvalidInputException"/> naming it.</summary>
    public static AnalysisResults Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path} does not exist");
        using var stream = new MemoryStream(InputFile.ReadBytes(path, InputFile.LargeText, "analysis results file"), writable: false);
        try
        {
            return JsonSerializer.Deserialize<AnalysisResults>(stream, Json) ?? throw new InvalidInputException($"{path}: empty");
        }
        catch (JsonException e) { throw new InvalidInputException($"{path}: not analysis results: {e.Message.Split('\n')[0]}"); }
    }
}
