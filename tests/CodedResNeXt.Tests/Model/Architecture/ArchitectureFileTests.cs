using CodedResNeXt.CodingSchemes;
using System.Text.Json;
using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.Model.Architecture;

public sealed class ArchitectureFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crx-arch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "arch.json");
        File.WriteAllText(path, json);
        return path;
    }

    private string WriteModified(Func<ArchitectureSpec, ArchitectureSpec> change)
    {
        string path = Path.Combine(_dir, "arch.json");
        ArchitectureFile.Save(change(TinyNetworks.Architecture()), path);
        return path;
    }

    [Fact]
    public void Saving_and_loading_gives_back_the_same_architecture()
    {
        var arch = TinyNetworks.Architecture().KeepPathsOf([2], TinyNetworks.Schemes);
        string path = Path.Combine(_dir, "arch.json");
        ArchitectureFile.Save(arch, path);
        var loaded = ArchitectureFile.Load(path, TinyNetworks.Schemes);
        Assert.Equal(JsonSerializer.Serialize(arch, ArchitectureFile.JsonOptions), JsonSerializer.Serialize(loaded, ArchitectureFile.JsonOptions));
        Assert.Equal(arch.Blocks[3].KeptSubNNs!, loaded.Blocks[3].KeptSubNNs!);
        Assert.Contains("\"in_channels\": 8", File.ReadAllText(path));
        Assert.Contains("\"subnns\": 4", File.ReadAllText(path));
    }

    [Fact]
    public void Inconsistent_channels_are_reported_with_the_file_and_both_blocks()
    {
        string path = WriteModified(a => a with { Blocks = [.. a.Blocks.Take(2), a.Blocks[2] with { InChannels = 32 }, .. a.Blocks.Skip(3)] });
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(path, TinyNetworks.Schemes));
        Assert.Equal("arch.json: block 2 has in_channels 32 but block 1 outputs 16", e.Message);
    }

    [Fact]
    public void A_scheme_for_another_number_of_classes_is_rejected()
    {
        string path = WriteModified(a => a with { Blocks = [.. a.Blocks.Take(1), a.Blocks[1] with { Scheme = "k3/2/4" }, .. a.Blocks.Skip(2)] });
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(path, TinyNetworks.Schemes));
        Assert.StartsWith("arch.json: block 1 (c3) uses coding scheme 'k3/2/4' for 3 classes but the architecture has 4 classes", e.Message);
    }

    [Fact]
    public void A_scheme_with_another_N_is_rejected()
    {
        string path = WriteModified(a => a with { Blocks = [.. a.Blocks.Take(1), a.Blocks[1] with { Scheme = "t/2/5" }, .. a.Blocks.Skip(2)] });
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(path, TinyNetworks.Schemes));
        Assert.Contains("block 1 (c3) has 4 subNNs but coding scheme 't/2/5' has codewords of length 5", e.Message);
    }

    [Fact]
    public void An_unknown_scheme_is_rejected_naming_the_file_and_block()
    {
        string path = WriteModified(a => a with { Blocks = [.. a.Blocks.Take(1), a.Blocks[1] with { Scheme = "nope" }, .. a.Blocks.Skip(2)] });
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(path, TinyNetworks.Schemes));
        Assert.Equal("arch.json: block 1 (c3): unknown coding scheme 'nope'", e.Message);
    }

    [Fact]
    public void Dropping_subNNs_in_an_uncoded_block_is_rejected()
    {
        string path = WriteModified(a => a with { Blocks = [a.Blocks[0] with { PDrop = 0.1 }, .. a.Blocks.Skip(1)] });
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(path, TinyNetworks.Schemes));
        Assert.Contains("block 0 (c2) is uncoded but has p_drop 0.1", e.Message);
    }

    [Fact]
    public void A_misspelled_field_is_an_error_naming_the_file()
    {
        string json = File.ReadAllText(WriteModified(a => a)).Replace("\"bottleneck_width\"", "\"bottleneck\"");
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(Write(json), TinyNetworks.Schemes));
        Assert.StartsWith("arch.json: not a valid architecture file", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Malformed_json_is_an_error_naming_the_file()
    {
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(Write("{ \"name\": "), TinyNetworks.Schemes));
        Assert.StartsWith("arch.json: not a valid architecture file", e.Message);
    }

    [Fact]
    public void An_unknown_preset_name_lists_the_presets()
    {
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.LoadPresetOrFile("cifar11", CodingSchemeSet.BuiltInsAndFiles));
        Assert.Equal("'cifar11' is neither a preset (cifar10, cifar100, imagenet, fashion-small, fashion-tiny, cifar10-small) nor an existing architecture file", e.Message);
    }

    [Fact]
    public void Every_preset_is_valid_and_resolves_its_schemes()
    {
        foreach (var name in Presets.Names)
        {
            var arch = ArchitectureFile.LoadPresetOrFile(name, CodingSchemeSet.BuiltInsAndFiles);
            Assert.Equal(name, arch.Name);
        }
        Assert.Equal("cifar10/3/10", Presets.Get("cifar10").Blocks[^1].Scheme);
    }
}
