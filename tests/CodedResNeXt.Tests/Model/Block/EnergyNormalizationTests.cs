using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Block;

public class EnergyNormalizationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Normalized_energies_of_every_sample_sum_to_N(bool materializing)
    {
        var implementation = materializing ? BlockImplementation.Materializing : BlockImplementation.Fused;
        var spec = new BlockSpec("c3", 8, 8, 2, 4, 2, "t/2/4", 0);
        using var block = new ResNeXtBlock(spec, TinyNetworks.Schemes["t/2/4"], implementation);
        var energies = block.call(new BlockInput(randn(5, 8, 8, 8))).Energies!;
        Assert.Equal([5L, 4L], energies.shape);
        foreach (float sum in energies.sum(1).data<float>()) Assert.Equal(4.0, sum, 4);
        Assert.True(energies.ge(0).all().item<bool>());
    }

    [Fact]
    public void Fused_energies_equal_the_mean_square_of_each_materialized_subNN_output()
    {
        int n = 3, d = 2, cOut = 5;
        var h = randn(2, n * d, 4, 3);
        var w = randn(cOut, n * d, 1, 1);
        var fused = EnergyNormalization.FusedEnergies(h, w, n);
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < n; s++)
            {
                // t_s = W_s h_s at every position, written out with a plain matrix product.
                var ws = w.reshape(cOut, n * d)[.., (s * d)..((s + 1) * d)];
                var hs = h[b][(s * d)..((s + 1) * d)].reshape(d, 12);
                double expected = ws.matmul(hs).square().mean().item<float>();
                Assert.Equal(expected, fused[b, s].item<float>(), 1e-4 * Math.Max(1, Math.Abs(expected)));
            }
    }

    [Fact]
    public void Fused_energies_have_the_gradients_of_the_materialized_ones_in_both_memory_orders()
    {
        int n = 3, d = 2, cOut = 5;
        var h0 = randn(2, n * d, 4, 3);
        var w0 = randn(cOut, n * d, 1, 1);
        var g = randn(2, n);
        // The materialized form: t_n = W_n h_n by a grouped convolution, E = mean square; autograd all the way.
        var h1 = h0.detach().requires_grad_(true);
        var w1 = w0.detach().requires_grad_(true);
        var grouped = w1.reshape(cOut, n, d).permute(1, 0, 2).reshape(n * cOut, d, 1, 1);
        var t = nn.functional.conv2d(h1, grouped, groups: n).reshape(2, n, cOut, 4, 3);
        (t.square().mean([2, 3, 4]) * g).sum().backward();
        foreach (bool channelsLast in new[] { false, true })
        {
            var hx = channelsLast ? h0.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : h0;
            var h2 = hx.detach().requires_grad_(true);
            var w2 = w0.detach().requires_grad_(true);
            (EnergyNormalization.FusedEnergies(h2, w2, n) * g).sum().backward();
            Assert.True(h2.grad!.allclose(h1.grad!, rtol: 1e-4, atol: 1e-5), $"dE/dh differs (channels-last {channelsLast})");
            Assert.True(w2.grad!.allclose(w1.grad!, rtol: 1e-4, atol: 1e-5), $"dE/dW differs (channels-last {channelsLast})");
        }
    }

    [Fact]
    public void An_all_zero_block_output_is_guarded_instead_of_dividing_by_zero()
    {
        var energies = tensor(new float[] { 0, 0, 0, 1, 3, 0 }, [2, 3]);
        var mean = EnergyNormalization.MeanEnergy(energies, 3);
        Assert.True(mean[0].item<float>() > 0);
        Assert.Equal(4f / 3, mean[1].item<float>(), 6); // only the zero denominator is touched
        var normalized = energies / mean.unsqueeze(1);
        Assert.False(normalized.isnan().any().item<bool>());
        Assert.Equal(0, normalized[0].sum().item<float>());
    }

    [Fact]
    public void Removing_every_subNN_leaves_a_finite_output_made_of_the_last_BN_bias_and_the_shortcut()
    {
        var spec = new BlockSpec("c3", 8, 8, 2, 4, 1, "t/2/4", 0);
        using var block = new ResNeXtBlock(spec, TinyNetworks.Schemes["t/2/4"], BlockImplementation.Fused);
        TinyNetworks.Perturb(block);
        block.eval();
        var x = randn(2, 8, 4, 4);
        var output = block.call(new BlockInput(x, Removed: ones(4, dtype: ScalarType.Bool))).Output;
        // The branch is 0, so the last BN (eval) gives beta - gamma * mean / sqrt(var + eps) per channel.
        var sd = block.state_dict();
        var constant = sd["bn_expand.bias"] - sd["bn_expand.weight"] * sd["bn_expand.running_mean"] / (sd["bn_expand.running_var"] + 1e-5).sqrt();
        var expected = nn.functional.relu(x + constant.reshape(1, 8, 1, 1));
        Assert.True(TinyNetworks.MaxRelativeDifference(expected, output) < 1e-6);
    }
}
