using CodedResNeXt.Data;

namespace CodedResNeXt.Tests.Data;

public class NormalizationTests
{
    [Fact]
    public void Mean_and_std_are_per_channel_over_all_images()
    {
        // Two 2-channel 1x2 images. Channel 0 values {0, 255, 255, 255}: mean 0.75, std sqrt(0.75 * 0.25).
        // Channel 1 values {51, 51, 51, 51}: mean 0.2, constant, so std falls back to 1.
        byte[] pixels = [0, 255, 51, 51, 255, 255, 51, 51];
        var ds = new ImageDataset("n", pixels, [0, 0], ["a"], 2, 1, 2);

        var n = Normalization.Compute(ds);

        Assert.Equal(0.75f, n.Mean[0], 6);
        Assert.Equal((float)Math.Sqrt(0.1875), n.Std[0], 6);
        Assert.Equal(0.2f, n.Mean[1], 6);
        Assert.Equal(1f, n.Std[1]);
    }
}
