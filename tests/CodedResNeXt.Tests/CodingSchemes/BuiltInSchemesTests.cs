using System.Text.Json;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Tests.CodingSchemes;

public class BuiltInSchemesTests
{
    [Theory]
    [InlineData("cifar10/5/10", 10, 10, 5)]
    [InlineData("cifar10/3/10", 10, 10, 3)]
    [InlineData("cifar100/8/20", 100, 20, 8)]
    [InlineData("cifar100/4/20", 100, 20, 4)]
    [InlineData("imagenet/16/32", 1000, 32, 16)]
    [InlineData("imagenet/8/32_D8", 1000, 32, 8)]
    public void Schemes_are_found_by_dataset_and_name(string name, int classes, int subNNs, int active)
    {
        var scheme = BuiltInSchemes.Get(name);
        Assert.Equal(name, scheme.Name);
        Assert.Equal(classes, scheme.Classes);
        Assert.Equal(subNNs, scheme.SubNNs);
        Assert.Equal(active, scheme.Active);
    }

    [Fact]
    public void An_unknown_name_is_rejected_with_valid_names()
    {
        var e = Assert.Throws<InvalidInputException>(() => BuiltInSchemes.Get("cifar10/4/10"));
        Assert.Contains("'cifar10/4/10'", e.Message);
        Assert.Contains("cifar100/8/20", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_paper_networks_schemes_are_marked()
    {
        string[] inPaper = ["cifar10/3/10", "cifar10/5/10", "cifar100/4/20", "cifar100/8/20", "imagenet/16/32", "imagenet/8/32"];
        Assert.Equal(inPaper, BuiltInSchemes.Names.Where(BuiltInSchemes.UsedInPaperArchitecture).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The built-in schemes must be the published ones: the embedded copy, read here with a plain JSON
    /// reader, and the project's shared/coding-schemes/published.json when the checkout has it beside it.
    /// </summary>
    [Fact]
    public void Built_in_schemes_equal_published_json()
    {
        using var stream = typeof(BuiltInSchemes).Assembly.GetManifestResourceStream("CodedResNeXt.CodingSchemes.published.json")!;
        string embedded = new StreamReader(stream).ReadToEnd();
        var sources = new List<(string Where, string Json)> { ("embedded", embedded) };
        string? shared = FindShared();
        if (shared is not null) sources.Add((shared, File.ReadAllText(shared)));

        foreach (var (where, json) in sources)
        {
            using var doc = JsonDocument.Parse(json);
            var entries = doc.RootElement.GetProperty("schemes").EnumerateArray().ToList();
            Assert.Equal(entries.Count, BuiltInSchemes.All.Count);
            foreach (var entry in entries)
            {
                string name = $"{entry.GetProperty("dataset").GetString()}/{entry.GetProperty("name").GetString()}";
                var scheme = BuiltInSchemes.Get(name);
                var published = entry.GetProperty("codewords").EnumerateArray().Select(w => w.GetString()!).ToList();
                Assert.True(published.SequenceEqual(scheme.ToStrings()), $"{where}: {name} differs");
                Assert.Equal(entry.GetProperty("classes").GetInt32(), scheme.Classes);

                var m = CodingSchemeMetrics.Of(scheme);
                Assert.Equal(entry.GetProperty("min_hamming").GetInt32(), m.MinHamming);
                Assert.Equal(entry.GetProperty("min_column_sum").GetInt32(), m.MinColumnSum);
                Assert.Equal(entry.GetProperty("max_column_sum").GetInt32(), m.MaxColumnSum);
            }
        }
    }

    /// <summary>shared/coding-schemes/published.json in the repository's folder or any folder above it (../shared).</summary>
    private static string? FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "coding-schemes", "published.json");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
