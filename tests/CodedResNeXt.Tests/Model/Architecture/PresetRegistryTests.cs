using CodedResNeXt.BinaryClassifiers;
using System.Text.Json;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Architecture;

/// <summary>Every preset of the registry, not a hand-picked few: it builds, counts its parameters, round-trips its JSON.</summary>
public class PresetRegistryTests
{
    public static TheoryData<string> Names => new(Presets.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_preset_and_its_control_build_with_the_parameters_their_architectures_count(string name)
    {
        var architecture = Presets.Get(name);
        using var network = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(1));
        Assert.Equal(architecture.CountParameters().Total, network.ParameterCount);
        using var control = new CodedResNeXtNetwork(architecture.ToControl(), CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(1));
        Assert.Equal(network.ParameterCount, control.ParameterCount);
        Assert.Empty(control.CodedBlocks);
        Assert.Equal(architecture.Blocks.Count(b => b.IsCoded), network.CodedBlocks.Count);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_preset_round_trips_through_its_architecture_file(string name)
    {
        var architecture = Presets.Get(name);
        string path = Path.Combine(Path.GetTempPath(), $"crx-preset-{Guid.NewGuid():N}.json");
        try
        {
            ArchitectureFile.Save(architecture, path);
            var back = ArchitectureFile.Load(path, CodingSchemeSet.BuiltInsAndFiles);
            Assert.Equal(JsonSerializer.Serialize(architecture, ArchitectureFile.JsonOptions), JsonSerializer.Serialize(back, ArchitectureFile.JsonOptions));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_binary_classifier_of_class_0_is_as_large_as_its_size_says(string name)
    {
        var architecture = Presets.Get(name);
        var size = BinaryClassifierSize.Of(architecture, 0, CodingSchemeSet.BuiltInsAndFiles);
        Assert.InRange(size.Exact, 1, size.Total);
        using var network = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(1));
        using var binary = network.ExtractPathsOf([0]);
        Assert.Equal(size.Exact, binary.ParameterCount);
        Assert.Equal(1, binary.Architecture.Outputs);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_forward_pass_gives_one_logit_per_class_and_energies_that_sum_to_N(string name)
    {
        var architecture = Presets.Get(name);
        using var scope = NewDisposeScope();
        using var network = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(1));
        network.eval();
        using var noGrad = no_grad();
        var output = network.call(randn([2, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize], generator: new Generator(2)));
        Assert.Equal([2L, architecture.Classes], output.Logits.shape);
        Assert.Equal(network.CodedBlocks.Count, output.BlockEnergies.Count);
        foreach (var (energies, block) in output.BlockEnergies.Zip(network.CodedBlocks))
            foreach (float sum in energies.sum(1).data<float>()) Assert.Equal(block.Spec.SubNNs, sum, 3);
    }
}
