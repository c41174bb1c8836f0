using System.Text.Json;
using System.Text.RegularExpressions;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.CodingSchemes;

/// <summary>`crx codes` end to end: the built crx.dll (copied beside the tests) run as a process.</summary>
public sealed class CodesVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crx-codes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Generate_prints_the_quality_and_the_codewords()
    {
        var (code, output, _) = Crx("codes", "--classes", "10", "--subnns", "10", "--active", "3");
        Assert.Equal(0, code);
        Assert.Contains("H_min reached", output);
        Assert.Contains("4: 30  6: 15", output); // any balanced 3/10 scheme at distance 4 has these pair counts
        Assert.Contains("3..3", output);
        // Table borders depend on the terminal's encoding, so only words are matched.
        Assert.Matches(@"Perfectly balanced\W+yes", output);
        Assert.Equal(10, Regex.Matches(output, @"\b[01]{10}\b").Count);
    }

    [Fact]
    public void Generate_json_and_out_file_agree_and_check_accepts_the_file()
    {
        string file = Path.Combine(_dir, "s.json");
        var (code, output, _) = Crx("codes", "--classes", "100", "--subnns", "20", "--active", "8", "--min-distance", "8", "--seed", "3", "--out", file, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("metrics").GetProperty("min_hamming").GetInt32());
        Assert.True(root.GetProperty("metrics").GetProperty("perfectly_balanced").GetBoolean());
        Assert.Equal(130, root.GetProperty("packed_words").GetInt32());
        Assert.Equal(file, root.GetProperty("written_to").GetString());

        var saved = CodingSchemeFile.Load(file);
        Assert.Equal(root.GetProperty("scheme").GetProperty("codewords").EnumerateArray().Select(w => w.GetString()), saved.ToStrings());

        var (checkCode, checkOutput, _) = Crx("codes", "--check", file);
        Assert.Equal(0, checkCode);
        Assert.Contains("valid coding scheme '8/20'", checkOutput);
        Assert.Contains("40..40", checkOutput);
    }

    [Fact]
    public void Check_rejects_a_bad_file_with_one_line()
    {
        string file = Path.Combine(_dir, "bad.json");
        File.WriteAllText(file, """{ "active": 3, "codewords": ["1110000", "0001110", "1010100", "0111100"] }""");
        var (code, output, error) = Crx("codes", "--check", file);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"crx: error: {file}: codeword of class 3 has 4 ones, expected 3", error.Trim());
    }

    [Fact]
    public void List_shows_every_built_in_scheme()
    {
        var (code, output, _) = Crx("codes", "--list", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var entries = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(BuiltInSchemes.All.Count, entries.Count);
        var imagenet = entries.Single(e => e.GetProperty("name").GetString() == "imagenet/16/32");
        Assert.True(imagenet.GetProperty("used_in_paper_architecture").GetBoolean());
        Assert.Equal(499, imagenet.GetProperty("metrics").GetProperty("min_column_sum").GetInt32());

        var (_, table, _) = Crx("codes", "--list");
        Assert.Contains("cifar100/8/20", table);
    }

    [Theory]
    [InlineData("crx: error: no scheme exists: only C(5,2) = 10 words", "codes", "--classes", "100", "--subnns", "5", "--active", "2")]
    [InlineData("crx: error: codes: give exactly one of --list", "codes")]
    [InlineData("crx: error: codes: --subnns is required", "codes", "--classes", "10", "--active", "3")]
    [InlineData("crx: error: codes: --out and --min-distance apply only when generating", "codes", "--list", "--out", "x.json")]
    public void User_errors_exit_2_with_one_line(string expected, params string[] args)
    {
        var (code, _, error) = Crx(args);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    private (int Code, string Output, string Error) Crx(params string[] args) => CrxProcess.Run(_dir, args);
}
