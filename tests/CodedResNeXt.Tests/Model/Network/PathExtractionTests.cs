using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.Model.Network;

public class PathExtractionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_extracted_classifier_computes_the_full_networks_logit_with_the_other_paths_removed(int cls)
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        var x = TinyNetworks.Images(6);

        using var binary = network.ExtractPathsOf([cls]);
        Assert.Equal(binary.Architecture.CountParameters().Total, binary.ParameterCount);
        Assert.True(binary.ParameterCount < network.ParameterCount);
        var extracted = binary.call(x);

        var full = network.Forward(x, SubNNRemoval.KeepOnlyPathsOf(network.CodedBlocks, cls));

        Assert.Equal([6L, 1L], extracted.Logits.shape);
        Assert.True(TinyNetworks.MaxRelativeDifference(full.Logits[.., cls..(cls + 1)], extracted.Logits) < 1e-5);
        // The kept subNNs have the energies they have inside the full network (normalized by the original N).
        var kept = binary.Architecture.Blocks[3].KeptSubNNs!;
        var fullEnergies = full.BlockEnergies[2].index_select(1, TorchSharp.torch.tensor(kept.Select(k => (long)k).ToArray()));
        Assert.True(TinyNetworks.MaxRelativeDifference(fullEnergies, extracted.BlockEnergies[2]) < 1e-5);
    }

    [Fact]
    public void Extracting_leaves_the_original_network_intact()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        var x = TinyNetworks.Images(3);
        var before = network.call(x).Logits;
        using var binary = network.ExtractPathsOf([0, 2]);
        Assert.True(before.eq(network.call(x).Logits).all().item<bool>());
        Assert.Equal(2, binary.Architecture.Outputs);
    }
}
