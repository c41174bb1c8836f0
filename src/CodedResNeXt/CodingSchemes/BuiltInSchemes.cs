using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// The authors' published coding schemes (the CIFAR-10 table of the paper's appendix and their released
/// tables), embedded from published.json and named "dataset/N_act/N", e.g. "cifar10/5/10",
/// "cifar100/8/20", "imagenet/16/32"; variants carry a suffix, e.g. "imagenet/8/32_D8" (distance 8).
/// </summary>
internal static class BuiltInSchemes
{
    private const string ResourceName = "CodedResNeXt.CodingSchemes.published.json";

    private static readonly Lazy<Registry> Published = new(Load);

    /// <summary>Every built-in scheme, in published.json's order.</summary>
    public static IReadOnlyList<CodingScheme> All => Published.Value.All;

    /// <summary>The names of <see cref="All"/>, "dataset/N_act/N" with an optional suffix, in published.json's order.</summary>
    public static IReadOnlyList<string> Names => All.Select(s => s.Name).ToList();

    /// <summary>Whether the paper's networks (Table 1) use this scheme, e.g. cifar10/5/10 and cifar10/3/10.</summary>
    public static bool UsedInPaperArchitecture(string name) => Published.Value.InPaper.Contains(name);

    /// <summary>The built-in scheme called <paramref name="name"/>, if there is one (names are case-sensitive).</summary>
    public static bool TryGet(string name, [MaybeNullWhen(false)] out CodingScheme scheme) =>
        Published.Value.ByName.TryGetValue(name, out scheme);

    /// <summary>The built-in scheme called <paramref name="name"/>; an <see cref="InvalidInputException"/> names the paper's schemes otherwise.</summary>
    public static CodingScheme Get(string name) =>
        TryGet(name, out var scheme)
            ? scheme
            : throw new InvalidInputException($"unknown built-in coding scheme '{name}'; built-in schemes include {Examples} ({All.Count} in all)");

    /// <summary>The schemes of the paper's networks, to name in error messages.</summary>
    internal static string Examples => string.Join(", ", Published.Value.InPaper);

    private sealed record Registry(IReadOnlyList<CodingScheme> All, IReadOnlyDictionary<string, CodingScheme> ByName, IReadOnlySet<string> InPaper);

    private static Registry Load()
    {
        using var stream = typeof(BuiltInSchemes).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the library was built without its resource {ResourceName}");
        var file = JsonSerializer.Deserialize<PublishedFile>(stream, CodingSchemeFile.JsonOptions)
            ?? throw new InvalidOperationException($"{ResourceName} holds null");
        var all = new List<CodingScheme>();
        var inPaper = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in file.Schemes)
        {
            string name = $"{entry.Dataset}/{entry.Name}";
            // Validation includes the declared min_hamming and column sums: the embedded data checks itself.
            all.Add(CodingSchemeFile.FromEntry(entry, $"published.json ({name})", name));
            if (entry.UsedInPaperArchitecture == true) inPaper.Add(name);
        }
        return new Registry(all, all.ToDictionary(s => s.Name), inPaper);
    }

    private sealed class PublishedFile
    {
        [JsonPropertyName("schemes")] public List<CodingSchemeFile.Entry> Schemes { get; init; } = [];
    }
}
