using System.Text.Json;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Model;

/// <summary>
/// The authors' published coding schemes (the embedded published.json), by name "dataset/N_act/N",
/// e.g. "cifar10/5/10". A minimal reader so that presets resolve; the CodingSchemes registry supersedes it.
/// </summary>
public static class PublishedSchemes
{
    private static readonly Lazy<IReadOnlyDictionary<string, CodingScheme>> All = new(Load);

    public static IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)All.Value.Keys;

    /// <summary>The scheme called <paramref name="name"/>; an <see cref="InvalidInputException"/> names the known ones otherwise.</summary>
    public static CodingScheme Get(string name) =>
        All.Value.TryGetValue(name, out var scheme)
            ? scheme
            : throw new InvalidInputException($"unknown coding scheme '{name}' (published schemes: {string.Join(", ", All.Value.Keys)})");

    private static IReadOnlyDictionary<string, CodingScheme> Load()
    {
        using var stream = typeof(PublishedSchemes).Assembly.GetManifestResourceStream("CodedResNeXt.CodingSchemes.published.json")
            ?? throw new InvalidOperationException("the published coding schemes are not embedded in the assembly");
        using var doc = JsonDocument.Parse(stream);
        var schemes = new Dictionary<string, CodingScheme>();
        foreach (var s in doc.RootElement.GetProperty("schemes").EnumerateArray())
        {
            string name = $"{s.GetProperty("dataset").GetString()}/{s.GetProperty("name").GetString()}";
            schemes[name] = CodingScheme.Parse(name, s.GetProperty("codewords").EnumerateArray().Select(w => w.GetString()!));
        }
        return schemes;
    }
}
