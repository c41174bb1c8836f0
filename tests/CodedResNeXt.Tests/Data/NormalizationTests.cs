using CodedResNeXt;
using CodedResNeXt.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

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

    [Fact]
    public void Published_constants_are_the_released_codes_for_CIFAR_and_absent_elsewhere()
    {
        var c10 = Normalization.Published("cifar10")!;
        Assert.Equal([0.4914f, 0.4822f, 0.4465f], c10.Mean);
        Assert.Equal([0.2023f, 0.1994f, 0.2010f], c10.Std);
        var c100 = Normalization.Published("CIFAR-100")!;
        Assert.Equal([0.5071f, 0.4867f, 0.4408f], c100.Mean);
        Assert.Equal([0.2673f, 0.2564f, 0.2762f], c100.Std);
        Assert.Null(Normalization.Published("fashion-mnist"));
        Assert.Null(Normalization.Published("folder"));
    }

    [Fact]
    public void CIFAR_runs_normalize_with_the_published_constants_unless_asked_for_the_training_sets_own()
    {
        using var tmp = new TempDirectory();
        DataFixtures.WriteCifar10(tmp.Path);
        var splits = DatasetRegistry.Load("cifar10", new DatasetOptions { DataDir = tmp.Path });

        var recipe = TrainingOptions.For("cifar10");
        Assert.Equal(NormalizationSource.Published, recipe.Normalization);
        var published = TrainingData.From(splits, [], recipe.FixedNormalization());
        Assert.Equal([0.4914f, 0.4822f, 0.4465f], published.Normalization.Mean);
        Assert.Equal([0.2023f, 0.1994f, 0.2010f], published.Normalization.Std);

        var own = recipe with { Normalization = NormalizationSource.Dataset };
        Assert.Null(own.FixedNormalization());
        var computed = TrainingData.From(splits, [], own.FixedNormalization()).Normalization;
        Assert.Equal(Normalization.Compute(splits.Train).Mean, computed.Mean);
        Assert.NotEqual(published.Normalization.Mean, computed.Mean);
    }

    [Fact]
    public void Other_datasets_default_to_their_own_statistics_and_refuse_published_ones()
    {
        Assert.Equal(NormalizationSource.Dataset, TrainingOptions.For("fashion-mnist").Normalization);
        Assert.Equal(NormalizationSource.Dataset, TrainingOptions.For("folder").Normalization);
        var asked = TrainingOptions.For("fashion-mnist") with { Normalization = NormalizationSource.Published };
        var error = Assert.Throws<InvalidInputException>(() => asked.FixedNormalization());
        Assert.Equal(nameof(TrainingOptions.Normalization), error.Option);
        Assert.StartsWith("published constants exist for cifar10 and cifar100 only, not fashion-mnist", error.Problem);
    }
}
