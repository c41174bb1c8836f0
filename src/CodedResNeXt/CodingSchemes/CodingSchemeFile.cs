using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// A coding scheme on disk: a JSON object shaped like one entry of the authors' published.json,
/// { "name", "classes", "subnns", "active", "min_hamming", "min_column_sum", "max_column_sum",
/// "codewords": ["0101…", …] } with one codeword per class in class order. Only "codewords" is required;
/// every other number the file declares must agree with the codewords, so a hand-edited file cannot
/// silently claim a distance or balance it does not have.
/// </summary>
internal static class CodingSchemeFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false, // a name twice means different schemes to different readers
    };

    /// <summary>Reads and validates a scheme file; a file without "name" is named after the file.</summary>
    public static CodingScheme Load(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new InvalidInputException($"{path}: no such coding scheme file");
        Entry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<Entry>(InputFile.ReadText(path, InputFile.LargeText, "coding scheme file"), Options);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: not a coding scheme file: {OneLine(e.Message)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{path}: cannot read the coding scheme: {OneLine(e.Message)}");
        }
        if (entry is null) throw new InvalidInputException($"{path}: not a coding scheme file: it holds null");
        return FromEntry(entry, path, entry.Name ?? Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Writes the scheme with its metrics, creating the folder when needed.</summary>
    public static void Save(CodingScheme scheme, string path)
    {
        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            OutputFile.WriteText(path, ToJson(scheme) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{path}: cannot write the coding scheme: {OneLine(e.Message)}");
        }
    }

    /// <summary>The scheme file's text.</summary>
    public static string ToJson(CodingScheme scheme)
    {
        var metrics = CodingSchemeMetrics.Of(scheme);
        var entry = new Entry
        {
            Name = scheme.Name,
            Classes = scheme.Classes,
            SubNNs = scheme.SubNNs,
            Active = scheme.Active,
            MinHamming = metrics.MinHamming,
            MinColumnSum = metrics.MinColumnSum,
            MaxColumnSum = metrics.MaxColumnSum,
            Codewords = scheme.ToStrings().ToList(),
        };
        return JsonSerializer.Serialize(entry, Options);
    }

    /// <summary>
    /// A built-in scheme by name (see <see cref="BuiltInSchemes"/>), else the scheme file at that path:
    /// what a user passes wherever a coding scheme is asked for.
    /// </summary>
    public static CodingScheme Resolve(string builtInNameOrPath)
    {
        if (BuiltInSchemes.TryGet(builtInNameOrPath, out var scheme)) return scheme;
        if (File.Exists(builtInNameOrPath)) return Load(builtInNameOrPath);
        throw new InvalidInputException(
            $"coding scheme '{builtInNameOrPath}' is neither a built-in scheme ({BuiltInSchemes.Examples}, or any of the 30 published schemes) nor an existing file");
    }

    /// <summary>Validates one entry; <paramref name="where"/> starts every error message.</summary>
    internal static CodingScheme FromEntry(Entry entry, string where, string name)
    {
        if (entry.Codewords is null) throw new InvalidInputException($"{where}: has no \"codewords\" list");
        var words = entry.Codewords;
        // The numbers the file declares are checked first, so an error quotes the file's own claim.
        for (int k = 0; k < words.Count; k++)
        {
            if (words[k] is null) throw new InvalidInputException($"{where}: codeword of class {k} is null");
            if (entry.SubNNs is int n && words[k].Length != n)
                throw new InvalidInputException($"{where}: codeword of class {k} has length {words[k].Length}, expected {n}");
            if (entry.Active is int active && words[k].Count(c => c == '1') is var ones && ones != active)
                throw new InvalidInputException($"{where}: codeword of class {k} has {ones} ones, expected {active}");
        }
        var scheme = CodingScheme.Parse(name, words, where);
        if (entry.Classes is int classes && classes != scheme.Classes)
            throw new InvalidInputException($"{where}: declares {classes} classes but has {scheme.Classes} codewords");

        if (entry.MinHamming is null && entry.MinColumnSum is null && entry.MaxColumnSum is null) return scheme;
        // The declared figures are the file's claim, checked where that costs what the file's size does: the minimum
        // distance compares every pair, so a scheme beyond CodingSchemeMetrics.MaxClasses keeps its claim unchecked.
        if (scheme.Classes > CodingSchemeMetrics.MaxClasses) return scheme;
        var metrics = CodingSchemeMetrics.Of(scheme);
        if (entry.MinHamming is int h && h != metrics.MinHamming)
            throw new InvalidInputException($"{where}: declares min_hamming {h} but the codewords' minimum Hamming distance is {metrics.MinHamming?.ToString() ?? "undefined (one class)"}");
        if (entry.MinColumnSum is int lo && lo != metrics.MinColumnSum)
            throw new InvalidInputException($"{where}: declares min_column_sum {lo} but the smallest column sum is {metrics.MinColumnSum}");
        if (entry.MaxColumnSum is int hi && hi != metrics.MaxColumnSum)
            throw new InvalidInputException($"{where}: declares max_column_sum {hi} but the largest column sum is {metrics.MaxColumnSum}");
        return scheme;
    }

    internal static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    internal static JsonSerializerOptions JsonOptions => Options;

    /// <summary>One scheme as published.json and scheme files write it.</summary>
    internal sealed class Entry
    {
        [JsonPropertyName("dataset")] public string? Dataset { get; init; }
        [JsonPropertyName("name")] public string? Name { get; init; }
        [JsonPropertyName("classes")] public int? Classes { get; init; }
        [JsonPropertyName("subnns")] public int? SubNNs { get; init; }
        [JsonPropertyName("active")] public int? Active { get; init; }
        [JsonPropertyName("min_hamming")] public int? MinHamming { get; init; }
        [JsonPropertyName("min_column_sum")] public int? MinColumnSum { get; init; }
        [JsonPropertyName("max_column_sum")] public int? MaxColumnSum { get; init; }
        [JsonPropertyName("used_in_paper_architecture")] public bool? UsedInPaperArchitecture { get; init; }
        [JsonPropertyName("codewords")] public List<string>? Codewords { get; init; }
    }
}
