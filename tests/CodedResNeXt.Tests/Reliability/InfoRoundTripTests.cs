using System.Text.Json;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>Item 14: what `crx info --json` prints, `--arch file.json` reads back as the same architecture.</summary>
public sealed class InfoRoundTripTests
{
    public static TheoryData<string> PresetNames => new(Presets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Info_json_of_every_preset_loads_back_as_the_same_architecture(string preset)
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = CrxProcess.Run(tmp.Path, "info", "--arch", preset, "--json");
        Assert.True(code == 0, error);
        string file = tmp["arch.json"];
        File.WriteAllText(file, output);

        var loaded = ArchitectureFile.Load(file, CodingSchemeSet.BuiltInsAndFiles);

        Assert.Equal(JsonSerializer.Serialize(Presets.Get(preset), ArchitectureFile.JsonOptions),
            JsonSerializer.Serialize(loaded, ArchitectureFile.JsonOptions));
    }

    [Fact]
    public void The_cli_accepts_an_info_json_file_as_arch()
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = CrxProcess.Run(tmp.Path, "info", "--arch", "fashion-tiny", "--json");
        Assert.True(code == 0, error);
        File.WriteAllText(tmp["arch.json"], output);

        var (again, second, secondError) = CrxProcess.Run(tmp.Path, "info", "--arch", "arch.json", "--json");
        Assert.True(again == 0, secondError);
        Assert.Equal(output, second);
    }
}
