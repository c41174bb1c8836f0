using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodedResNeXt.Analysis;

/// <summary>results.json: <see cref="AnalysisResults"/> in snake_case JSON, NaN written as "NaN" where nothing was measured.</summary>
public static class AnalysisResultsFile
{
    public const string FileName = "results.json";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="directory"/>/results.json (creating the directory) and returns its path.</summary>
    public static string Save(AnalysisResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        using (var stream = File.Create(path)) JsonSerializer.Serialize(stream, results, Json);
        return path;
    }

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
