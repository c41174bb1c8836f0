using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Loading;
using TorchSharp;

namespace CodedResNeXt.Tests.Data;

public class BatchLoaderTests
{
    private static readonly ImageDataset Dataset = DataFixtures.RandomDataset(37, 3, 8, 8, classes: 5);

    private static AugmentationPipeline Augmented() => AugmentationPipeline.Training(
        new AugmentationOptions { RandAugment = new RandAugment(2, 9), CropPadding = 2, HorizontalFlip = true },
        Normalization.Compute(Dataset));

    /// <summary>Each sample's floats by dataset index, over one epoch.</summary>
    private static Dictionary<int, float[]> SamplesOf(BatchLoader loader, int epoch)
    {
        var samples = new Dictionary<int, float[]>();
        foreach (var batch in loader.Epoch(epoch))
        {
            int size = batch.Channels * batch.Height * batch.Width;
            for (int j = 0; j < batch.Count; j++)
                samples.Add(batch.Indices[j], batch.Images.Slice(j * size, size).ToArray());
        }
        return samples;
    }

    [Fact]
    public void Every_sample_appears_once_per_epoch_with_its_label()
    {
        var loader = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 8, Seed = 5 });
        var batches = loader.Epoch(0).ToList();

        Assert.Equal(5, loader.BatchCount);
        Assert.Equal([8, 8, 8, 8, 5], batches.Select(b => b.Count));
        var indices = batches.SelectMany(b => b.Indices).ToList();
        Assert.Equal(Enumerable.Range(0, 37), indices.Order());
        Assert.NotEqual(Enumerable.Range(0, 37), indices); // shuffled
        foreach (var batch in batches)
            for (int j = 0; j < batch.Count; j++)
                Assert.Equal(Dataset.Label(batch.Indices[j]), batch.Labels[j]);

        var dropLast = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 8, DropLast = true });
        Assert.Equal(4, dropLast.Epoch(0).Count());
    }

    [Fact]
    public void Same_seed_and_epoch_give_the_same_order_and_augmentations_whatever_the_threads_or_batch_size()
    {
        var a = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 4, Seed = 9, Threads = 1 });
        var b = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 7, Seed = 9, Threads = 2 });

        Assert.Equal(a.Order(3), b.Order(3));
        var sa = SamplesOf(a, 3);
        var sb = SamplesOf(b, 3);
        foreach (var (index, floats) in sa) Assert.Equal(floats, sb[index]);

        // Another epoch reorders and re-augments; another seed too.
        Assert.NotEqual(a.Order(3), a.Order(4));
        var other = SamplesOf(a, 4);
        Assert.Contains(sa.Keys, i => !sa[i].SequenceEqual(other[i]));
        var reseeded = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 4, Seed = 10 });
        Assert.NotEqual(a.Order(3), reseeded.Order(3));
    }

    [Fact]
    public void The_evaluation_loader_serves_normalized_pixels_in_dataset_order()
    {
        var norm = new Normalization([0.5f, 0.25f, 0f], [0.5f, 0.25f, 2f]);
        var loader = BatchLoader.ForEvaluation(Dataset, norm, batchSize: 10);
        var batches = loader.Epoch(0).ToList();

        Assert.Equal(Enumerable.Range(0, 37), batches.SelectMany(b => b.Indices));
        var first = batches[0];
        var image = Dataset.Image(0);
        for (int p = 0; p < 64; p++)
        {
            Assert.Equal((image[p] / 255f - 0.5f) / 0.5f, first.Images[p], 6);
            Assert.Equal((image[64 + p] / 255f - 0.25f) / 0.25f, first.Images[64 + p], 6);
            Assert.Equal(image[128 + p] / 255f / 2f, first.Images[128 + p], 6);
        }
    }

    [Fact]
    public void Normalized_batches_have_zero_mean_and_unit_std_per_channel()
    {
        var loader = BatchLoader.ForEvaluation(Dataset, Normalization.Compute(Dataset), batchSize: 37);
        var batch = loader.Epoch(0).Single();
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, 37).SelectMany(j => batch.Images.Slice(j * 192 + c * 64, 64).ToArray()).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            Assert.Equal(0, mean, 4);
            Assert.Equal(1, std, 4);
        }
    }

    [Fact]
    public void Batches_become_float_and_long_tensors_of_the_right_shape()
    {
        var loader = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 16, Seed = 1 });
        var batch = loader.Build(epoch: 2, batchIndex: 2);
        using var scope = torch.NewDisposeScope();

        var (x, y) = batch.ToTensors();

        Assert.Equal([5L, 3, 8, 8], x.shape);
        Assert.Equal(torch.ScalarType.Float32, x.dtype);
        Assert.Equal([5L], y.shape);
        Assert.Equal(torch.ScalarType.Int64, y.dtype);
        Assert.Equal(batch.Images.ToArray(), x.data<float>().ToArray());
        Assert.Equal(batch.Labels.ToArray(), y.data<long>().ToArray());
        // Build and Epoch agree on the same batch.
        Assert.Equal(batch.Images.ToArray(), loader.Epoch(2).ElementAt(2).Images.ToArray());
    }

    private sealed class FailOn(int value) : IAugmentation
    {
        public void Apply(ImageBuffer image, Random rng)
        {
            if (image.Pixels[0] == value) throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void A_failure_while_preparing_reaches_the_consumer_and_stopping_early_does_not_hang()
    {
        var failing = new BatchLoader(Dataset, new AugmentationPipeline([new FailOn(Dataset.Image(30)[0])], Normalization.Unit(3)),
            new LoaderOptions { BatchSize = 4, Shuffle = false });
        var e = Assert.Throws<InvalidOperationException>(() => failing.Epoch(0).Count());
        Assert.Equal("boom", e.Message);

        var loader = new BatchLoader(Dataset, Augmented(), new LoaderOptions { BatchSize = 2 });
        Assert.Equal(2, loader.Epoch(0).Take(1).Single().Count);
    }
}
