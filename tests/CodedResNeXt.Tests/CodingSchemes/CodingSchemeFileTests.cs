using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Tests.CodingSchemes;

public sealed class CodingSchemeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crx-schemes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "scheme.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Save_then_load_gives_the_same_scheme_with_its_metrics_declared()
    {
        var scheme = BuiltInSchemes.Get("cifar10/5/10");
        string path = Path.Combine(_dir, "sub", "s.json");
        CodingSchemeFile.Save(scheme, path);

        var loaded = CodingSchemeFile.Load(path);
        Assert.Equal("cifar10/5/10", loaded.Name);
        Assert.Equal(scheme.ToStrings(), loaded.ToStrings());
        string text = File.ReadAllText(path);
        Assert.Contains("\"min_hamming\": 4", text);
        Assert.Contains("\"min_column_sum\": 5", text);
        Assert.Contains("\"subnns\": 10", text);
    }

    [Fact]
    public void A_file_with_only_codewords_is_named_after_the_file()
    {
        var scheme = CodingSchemeFile.Load(Write("""{ "codewords": ["1100", "0011"] }"""));
        Assert.Equal("scheme", scheme.Name);
        Assert.Equal(2, scheme.Classes);
    }

    [Theory]
    [InlineData("""{ "active": 3, "codewords": ["1110000", "0001110", "1010100", "0111100"] }""", "codeword of class 3 has 4 ones, expected 3")]
    [InlineData("""{ "codewords": ["1100", "0111"] }""", "codeword of class 1 has 3 ones, expected 2")]
    [InlineData("""{ "subnns": 4, "codewords": ["1100", "01100"] }""", "codeword of class 1 has length 5, expected 4")]
    [InlineData("""{ "classes": 3, "codewords": ["1100", "0011"] }""", "declares 3 classes but has 2 codewords")]
    [InlineData("""{ "min_hamming": 4, "codewords": ["1100", "0110", "0011"] }""", "declares min_hamming 4 but the codewords' minimum Hamming distance is 2")]
    [InlineData("""{ "max_column_sum": 1, "codewords": ["1100", "0110", "0011"] }""", "declares max_column_sum 1 but the largest column sum is 2")]
    [InlineData("""{ "codewords": ["1100", "1100"] }""", "classes 0 and 1 share the codeword 1100")]
    [InlineData("""{ "codewords": ["1100", "01a0"] }""", "only '0' and '1'")]
    [InlineData("""{ "name": "x" }""", "has no \"codewords\" list")]
    [InlineData("""{ "codewords": [] }""", "it has no codewords")]
    [InlineData("""{ "classes": "ten", "codewords": ["10", "01"] }""", "not a coding scheme file")]
    [InlineData("""[1, 2""", "not a coding scheme file")]
    public void Bad_files_are_rejected_in_one_line_naming_the_file(string json, string expected)
    {
        string path = Write(json);
        var e = Assert.Throws<InvalidInputException>(() => CodingSchemeFile.Load(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(_dir, "nope.json");
        var e = Assert.Throws<InvalidInputException>(() => CodingSchemeFile.Load(path));
        Assert.Equal($"{path}: no such coding scheme file", e.Message);
    }

    [Fact]
    public void Resolve_takes_a_built_in_name_or_a_file()
    {
        Assert.Equal(100, CodingSchemeFile.Resolve("cifar100/8/20").Classes);
        Assert.Equal(2, CodingSchemeFile.Resolve(Write("""{ "codewords": ["10", "01"] }""")).Classes);
        var e = Assert.Throws<InvalidInputException>(() => CodingSchemeFile.Resolve("cifar10/1/10"));
        Assert.Contains("neither a built-in scheme", e.Message);
        Assert.Contains("cifar10/5/10", e.Message);
    }

    [Fact]
    public void A_scheme_must_have_one_codeword_per_class_of_the_dataset()
    {
        var scheme = BuiltInSchemes.Get("cifar10/5/10");
        scheme.RequireClasses(10);
        var e = Assert.Throws<InvalidInputException>(() => scheme.RequireClasses(100));
        Assert.Equal("scheme 'cifar10/5/10' has 10 codewords but the dataset has 100 classes", e.Message);
    }
}
