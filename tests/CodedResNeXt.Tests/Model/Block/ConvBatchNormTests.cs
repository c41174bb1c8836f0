using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Block;

/// <summary>Eval mode folds each BN into its conv; the oracle is the block's own modules called one by one.</summary>
public class ConvBatchNormTests
{
    [Fact]
    public void An_eval_block_with_folded_batch_norms_computes_what_its_convs_and_batch_norms_compute_one_by_one()
    {
        // Uncoded, with a projection shortcut at stride 2 and a grouped 3x3: every folded pair is on the path.
        var spec = new BlockSpec("c3", InChannels: 8, OutChannels: 16, BottleneckWidth: 2, SubNNs: 4, Stride: 2);
        using var block = new ResNeXtBlock(spec, scheme: null);
        TinyNetworks.Perturb(block);
        block.eval();
        var m = block.named_modules().ToDictionary(x => x.name, x => x.module);
        Tensor Call(string name, Tensor x) => ((nn.Module<Tensor, Tensor>)m[name]).call(x);
        using var x = randn([3, 8, 10, 10], generator: new Generator(5));
        using var noGrad = no_grad();

        var h = Call("bn_reduce", Call("conv_reduce", x)).relu();
        h = Call("bn", Call("conv_conv", h)).relu();
        var shortcut = Call("shortcut.bn", Call("shortcut.conv", x));
        var expected = (Call("bn_expand", Call("conv_expand", h)) + shortcut).relu();

        var actual = block.call(new BlockInput(x)).Output;
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(TinyNetworks.MaxRelativeDifference(expected, actual) < 1e-5, $"max relative difference {TinyNetworks.MaxRelativeDifference(expected, actual)}");
    }

    [Fact]
    public void Training_mode_still_normalizes_with_the_batch_statistics_and_updates_the_running_ones()
    {
        var spec = new BlockSpec("c2", InChannels: 8, OutChannels: 8, BottleneckWidth: 2, SubNNs: 4, Stride: 1);
        using var block = new ResNeXtBlock(spec, scheme: null);
        TinyNetworks.Perturb(block);
        var running = block.state_dict()["bn_reduce.running_mean"].clone();
        block.train();
        using var x = randn([4, 8, 6, 6], generator: new Generator(3)) * 3 + 1;
        block.call(new BlockInput(x));
        Assert.False(running.allclose(block.state_dict()["bn_reduce.running_mean"]), "the running mean moved towards the batch's");
    }
}
