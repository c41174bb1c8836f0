using CodedResNeXt.Data;

namespace CodedResNeXt.Tests.Data;

/// <summary>The real Fashion-MNIST files of Debian's dataset-fashion-mnist package (installed by setup.sh).</summary>
public class FashionMnistTests
{
    [Fact]
    public void The_installed_files_hold_60000_and_10000_balanced_images_with_the_published_statistics()
    {
        Assert.True(File.Exists(Path.Combine(DatasetRegistry.FashionMnistDefaultDir, "train-images-idx3-ubyte.gz")),
            $"{DatasetRegistry.FashionMnistDefaultDir} is missing: run ./setup.sh (Debian package dataset-fashion-mnist)");

        var (train, test) = DatasetRegistry.Load("fashion-mnist", new DatasetOptions());

        Assert.Equal((60000, 1, 28, 28), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(10000, test.Count);
        Assert.All(train.CountPerClass(), n => Assert.Equal(6000, n));
        Assert.All(test.CountPerClass(), n => Assert.Equal(1000, n));
        // Widely quoted training-set statistics: mean 0.2860, std 0.3530.
        var norm = Normalization.Compute(train);
        Assert.Equal(0.2860, norm.Mean[0], 3);
        Assert.Equal(0.3530, norm.Std[0], 3);
    }
}
