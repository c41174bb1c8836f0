using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.Model.Architecture;

public class KeepPathsOfTests
{
    [Fact]
    public void Coded_blocks_keep_the_union_of_the_classes_active_subNNs_and_normalize_by_the_original_N()
    {
        var kept = TinyNetworks.Architecture().KeepPathsOf([0, 1], TinyNetworks.Schemes);
        // t/2/4: class 0 = 1100, class 1 = 0110 -> subNNs 0, 1, 2. t/1/4: 1000, 0100 -> 0, 1.
        Assert.Equal([0, 1, 2], kept.Blocks[1].KeptSubNNs!);
        Assert.Equal(3, kept.Blocks[1].SubNNs);
        Assert.Equal(4, kept.Blocks[1].NormalizationSubNNs);
        Assert.Equal([0, 1], kept.Blocks[3].KeptSubNNs!);
        Assert.False(kept.Blocks[0].IsPartial); // uncoded blocks stay whole
        Assert.Equal(2, kept.Outputs);
    }

    [Fact]
    public void The_count_of_kept_paths_equals_the_parameters_of_the_smaller_network_built_from_them()
    {
        var kept = Presets.Get("fashion-small").KeepPathsOf([3], CodingSchemeSet.BuiltInsAndFiles);
        using var network = new CodedResNeXtNetwork(kept, CodingSchemeSet.BuiltInsAndFiles);
        Assert.Equal(kept.CountParameters().Total, network.ParameterCount);
        Assert.True(kept.CountParameters().Total < Presets.Get("fashion-small").CountParameters().Total / 2);
    }

    [Fact]
    public void Keeping_a_class_that_does_not_exist_is_an_input_error()
    {
        var e = Assert.Throws<InvalidInputException>(() => TinyNetworks.Architecture().KeepPathsOf([4], TinyNetworks.Schemes));
        Assert.Contains("class 4", e.Message);
    }
}
