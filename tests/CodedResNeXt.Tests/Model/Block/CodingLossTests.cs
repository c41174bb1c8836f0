using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Block;

public class CodingLossTests
{
    // Two samples, N = 4, r = 1/2. Sample 0: r*E - w = (0, 0, -0.5, 0.5); sample 1: r*E - w = 0.
    private static readonly Tensor Energies = tensor(new float[] { 2, 0, 1, 1, 0, 0, 2, 2 }, [2, 4]);
    private static readonly Tensor Codewords = tensor(new float[] { 1, 0, 1, 0, 0, 0, 1, 1 }, [2, 4]);

    [Fact]
    public void Default_loss_is_the_batch_mean_of_the_mean_fourth_power()
    {
        // sample 0: (0.5^4 + 0.5^4) / 4 = 0.03125; sample 1: 0; batch mean 0.015625.
        var loss = new CodingLoss().Compute(Energies, Codewords, 0.5);
        Assert.Equal(0, loss.dim());
        Assert.Equal(0.015625, loss.item<float>(), 7);
    }

    [Fact]
    public void Threshold_and_exponent_follow_the_released_generalization()
    {
        // max(0.5 - 0.1, 0)^2 = 0.16 on two of four subNNs of sample 0: 0.08; batch mean 0.04.
        var loss = new CodingLoss(Exponent: 2, Threshold: 0.1).Compute(Energies, Codewords, 0.5);
        Assert.Equal(0.04, loss.item<float>(), 6);
    }

    [Fact]
    public void A_block_scores_each_sample_against_its_own_class_codeword()
    {
        var spec = new BlockSpec("c3", 8, 8, 2, 4, 1, "t/2/4", 0);
        var scheme = TinyNetworks.Schemes("t/2/4");
        using var block = new ResNeXtBlock(spec, scheme, new CodingLoss(), BlockImplementation.Fused);
        var labels = tensor(new long[] { 0, 3, 2 });
        var output = block.call(new BlockInput(randn(3, 8, 5, 5), labels));
        var e = output.Energies!.data<float>().ToArray();
        double expected = 0;
        long[] cls = [0, 3, 2];
        for (int b = 0; b < 3; b++)
            for (int n = 0; n < 4; n++)
                expected += Math.Pow(0.5 * e[b * 4 + n] - (scheme.IsActive((int)cls[b], n) ? 1 : 0), 4) / 12;
        Assert.Equal(expected, output.CodingLoss!.item<float>(), 5);
    }
}
