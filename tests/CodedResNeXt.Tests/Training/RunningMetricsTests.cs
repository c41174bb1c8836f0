using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

public class RunningMetricsTests
{
    private static CodingLosses Coding(float a, float b) => new(tensor(a + b), [tensor(a), tensor(b)]);

    [Fact]
    public void Figures_are_sample_weighted_means_of_the_batches_added()
    {
        using var running = new RunningMetrics(codedBlocks: 2, CPU);
        // Batch 1: 2 samples, both right; batch 2: 4 samples, one right.
        running.Add(tensor(1f), tensor(0.5f), Coding(0.1f, 0.2f), tensor(new float[,] { { 0, 1 }, { 1, 0 } }), tensor(new long[] { 1, 0 }));
        running.Add(tensor(4f), tensor(2f), Coding(0.4f, 0.8f), tensor(new float[,] { { 0, 1 }, { 0, 1 }, { 0, 1 }, { 0, 1 } }), tensor(new long[] { 1, 0, 0, 0 }));

        var f = running.Read();
        Assert.Equal(6, f.Seen);
        Assert.Equal((2 * 1.0 + 4 * 4.0) / 6, f.Loss, 6);
        Assert.Equal((2 * 0.5 + 4 * 2.0) / 6, f.CrossEntropy, 6);
        Assert.Equal((2 * 0.3 + 4 * 1.2) / 6, f.CodingLoss, 6);
        Assert.Equal(3.0 / 6, f.Accuracy, 9);
        Assert.Equal((2 * 0.1 + 4 * 0.4) / 6, f.CodingLossPerBlock[0], 6);
        Assert.Equal((2 * 0.2 + 4 * 0.8) / 6, f.CodingLossPerBlock[1], 6);
        Assert.True(f.AllFinite);
    }

    [Fact]
    public void One_non_finite_loss_makes_every_later_read_non_finite()
    {
        using var running = new RunningMetrics(codedBlocks: 0, CPU);
        var none = new CodingLosses(tensor(0f), []);
        running.Add(tensor(1f), tensor(1f), none, tensor(new float[,] { { 1, 0 } }), tensor(new long[] { 0 }));
        Assert.True(running.Read().AllFinite);
        running.Add(tensor(float.NaN), tensor(float.NaN), none, tensor(new float[,] { { 1, 0 } }), tensor(new long[] { 0 }));
        running.Add(tensor(1f), tensor(1f), none, tensor(new float[,] { { 1, 0 } }), tensor(new long[] { 0 }));
        Assert.False(running.Read().AllFinite);
    }
}
