using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Block;

public class DropSubNNsTests
{
    [Fact]
    public void About_p_of_the_subNNs_are_dropped_and_survivors_are_scaled_by_one_over_one_minus_p()
    {
        var mask = DropSubNNs.DrawMask(4000, 10, 0.3, CPU, new Generator(11));
        var values = mask.data<float>().ToArray();
        double dropped = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(dropped, 0.28, 0.32); // 40000 draws: standard deviation 0.0023
        Assert.All(values.Where(v => v != 0), v => Assert.Equal(1 / 0.7, v, 5));
        Assert.InRange(values.Average(), 0.97, 1.03); // the expectation of the output is unchanged
        // one draw per (sample, subNN): samples do not share their masks
        Assert.True(mask.std(0).sum().item<float>() > 0);
    }

    [Fact]
    public void Consecutive_blocks_with_the_same_scheme_share_one_mask_and_a_new_scheme_draws_a_new_one()
    {
        var masks = DropSubNNs.DrawMasks(TinyNetworks.Architecture(pDrop: 0.5).Blocks, 64, CPU, new Generator(3));
        Assert.Null(masks[0]);                  // uncoded
        Assert.Same(masks[1], masks[2]);        // t/2/4, t/2/4
        Assert.NotSame(masks[2], masks[3]);     // t/1/4: the scheme changes
        Assert.False(masks[2]!.eq(masks[3]!).all().item<bool>());
        Assert.Same(masks[3], masks[4]);
    }

    [Fact]
    public void A_coded_block_after_an_uncoded_one_draws_a_fresh_mask_even_with_the_same_scheme()
    {
        var a = TinyNetworks.Architecture();
        BlockSpec[] blocks = [a.Blocks[1], a.Blocks[2] with { Scheme = null, PDrop = 0 }, a.Blocks[2]];
        var masks = DropSubNNs.DrawMasks(blocks, 64, CPU, new Generator(3));
        Assert.Null(masks[1]);
        Assert.NotSame(masks[0], masks[2]);
    }

    [Fact]
    public void The_network_drops_in_training_with_the_masks_it_plans_and_never_in_evaluation()
    {
        using var network = TinyNetworks.Network(pDrop: 0.5);
        TinyNetworks.Perturb(network);
        var x = TinyNetworks.Images(16);

        // Training: the network's output equals a hand-run chain of its modules fed the planned masks.
        network.train();
        network.DropGenerator = new Generator(5);
        var logits = network.call(x).Logits;
        var masks = DropSubNNs.DrawMasks(network.Architecture.Blocks, 16, CPU, new Generator(5));
        var modules = network.named_children().ToDictionary(c => c.Item1, c => c.Item2);
        var h = ((nn.Module<Tensor, Tensor>)modules["stem"]).call(x);
        for (int i = 0; i < network.Blocks.Count; i++) h = network.Blocks[i].call(new BlockInput(h, DropMask: masks[i])).Output;
        var expected = ((nn.Module<Tensor, Tensor>)modules["classifier"]).call(nn.functional.adaptive_avg_pool2d(h, 1).flatten(1));
        Assert.True(TinyNetworks.MaxRelativeDifference(expected, logits) < 1e-5);
        network.DropGenerator = new Generator(6);
        Assert.True(TinyNetworks.MaxRelativeDifference(logits, network.call(x).Logits) > 1e-3); // other masks, other output

        // Evaluation: no randomness at all.
        network.eval();
        network.DropGenerator = new Generator(5);
        var first = network.call(x).Logits;
        network.DropGenerator = new Generator(6);
        Assert.True(first.eq(network.call(x).Logits).all().item<bool>());
    }
}
