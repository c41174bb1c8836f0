using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Network;

public class SubNNRemovalTests
{
    [Fact]
    public void Removing_a_subNN_equals_zeroing_its_expand_weights_so_that_its_output_is_zero()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        var x = TinyNetworks.Images(8);

        var removed = network.Forward(x, SubNNRemoval.InBlock(2, tensor(new[] { false, true, false, true })));
        var intact = network.call(x);

        // Oracle: t_1 = t_3 = 0 in block 2 because their 1x1 expand weights are zero (d = 2 columns each).
        using (no_grad())
        {
            var w = network.state_dict()["blocks.2.conv_expand.weight"];
            w[.., 2..4].zero_();
            w[.., 6..8].zero_();
        }
        var zeroed = network.call(x);

        Assert.True(TinyNetworks.MaxRelativeDifference(zeroed.Logits, removed.Logits) < 1e-5);
        Assert.True(TinyNetworks.MaxRelativeDifference(zeroed.BlockEnergies[1], removed.BlockEnergies[1]) < 1e-5);
        Assert.True(TinyNetworks.MaxRelativeDifference(intact.Logits, removed.Logits) > 1e-3);
        // Removed subNNs carry no energy, and the 1/N stays 4: the kept energies still sum to N.
        Assert.Equal(0, removed.BlockEnergies[1][.., 1].abs().sum().item<float>());
        foreach (float sum in removed.BlockEnergies[1].sum(1).data<float>()) Assert.Equal(4.0, sum, 4);
    }

    [Fact]
    public void Per_sample_removal_touches_only_its_own_sample()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        var x = TinyNetworks.Images(4);
        var intact = network.call(x).Logits;
        var mask = zeros(4, 4, dtype: ScalarType.Bool);
        mask[2, 0] = true;
        var removed = network.Forward(x, SubNNRemoval.InBlock(1, mask)).Logits;
        Assert.True((intact[0..2] - removed[0..2]).abs().max().item<float>() < 1e-6);
        Assert.True((intact[2] - removed[2]).abs().max().item<float>() > 1e-4);
    }

    [Fact]
    public void Keeping_only_a_class_paths_removes_exactly_its_inactive_subNNs_in_every_coded_block()
    {
        using var network = TinyNetworks.Network();
        var removal = SubNNRemoval.KeepOnlyPathsOf(network.CodedBlocks, 1);
        Assert.Equal([1, 2, 3, 4], removal.RemovedByBlock.Keys.Order());
        Assert.Equal([true, false, false, true], removal.RemovedByBlock[1].data<bool>().ToArray()); // t/2/4 class 1: 0110
        Assert.Equal([true, false, true, true], removal.RemovedByBlock[3].data<bool>().ToArray());  // t/1/4 class 1: 0100
    }
}
