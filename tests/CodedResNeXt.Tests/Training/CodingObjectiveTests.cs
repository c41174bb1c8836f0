using CodedResNeXt.Model;
using CodedResNeXt.Tests.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

public class CodingObjectiveTests
{
    // Two samples, N = 4, r = 1/2. Sample 0: r*E - w = (0, 0, -0.5, 0.5); sample 1: r*E - w = 0.
    private static readonly Tensor Energies = tensor(new float[] { 2, 0, 1, 1, 0, 0, 2, 2 }, [2, 4]);
    private static readonly Tensor Codewords = tensor(new float[] { 1, 0, 1, 0, 0, 0, 1, 1 }, [2, 4]);

    [Fact]
    public void Default_loss_is_the_batch_mean_of_the_mean_fourth_power()
    {
        // sample 0: (0.5^4 + 0.5^4) / 4 = 0.03125; sample 1: 0; batch mean 0.015625.
        var loss = new CodingObjective(Mu: 1).BlockLoss(Energies, Codewords, 0.5);
        Assert.Equal(0, loss.dim());
        Assert.Equal(0.015625, loss.item<float>(), 7);
    }

    [Fact]
    public void Threshold_and_exponent_follow_the_released_generalization()
    {
        // max(0.5 - 0.1, 0)^2 = 0.16 on two of four subNNs of sample 0: 0.08; batch mean 0.04.
        var loss = new CodingObjective(Mu: 1, Exponent: 2, Threshold: 0.1).BlockLoss(Energies, Codewords, 0.5);
        Assert.Equal(0.04, loss.item<float>(), 6);
    }

    [Fact]
    public void Each_coded_block_scores_each_sample_against_its_own_class_codeword()
    {
        using var network = TinyNetworks.Network();
        network.eval();
        var labels = tensor(new long[] { 0, 3, 2 });
        var output = network.call(TinyNetworks.Images(3));
        var losses = new CodingObjective(Mu: 1).Compute(network, output, labels);
        Assert.Equal(network.CodedBlocks.Count, losses.PerBlock.Count);
        long[] cls = [0, 3, 2];
        for (int j = 0; j < network.CodedBlocks.Count; j++)
        {
            var scheme = network.CodedBlocks[j].Scheme;
            var e = output.BlockEnergies[j].data<float>().ToArray();
            double expected = 0;
            for (int b = 0; b < 3; b++)
                for (int n = 0; n < 4; n++)
                    expected += Math.Pow(scheme.Ratio * e[b * 4 + n] - (scheme.IsActive((int)cls[b], n) ? 1 : 0), 4) / 12;
            // float32 against double: a relative tolerance, not decimal places (rounding boundaries make those flaky).
            Assert.Equal(expected, losses.PerBlock[j].item<float>(), 1e-5 * Math.Max(1, Math.Abs(expected)));
        }
        double sum = losses.PerBlock.Sum(l => (double)l.item<float>());
        Assert.Equal(sum, losses.Total.item<float>(), 1e-5 * Math.Max(1, Math.Abs(sum)));
    }

    [Fact]
    public void A_network_without_coded_blocks_has_zero_coding_loss()
    {
        using var network = new CodedResNeXtNetwork(TinyNetworks.Architecture().ToControl(), TinyNetworks.Schemes);
        var output = network.call(TinyNetworks.Images(2));
        var losses = new CodingObjective(Mu: 6).Compute(network, output, TinyNetworks.Labels(2));
        Assert.Empty(losses.PerBlock);
        Assert.Equal(0, losses.Total.item<float>());
    }
}
