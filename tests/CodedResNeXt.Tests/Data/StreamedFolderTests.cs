using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using SkiaSharp;

namespace CodedResNeXt.Tests.Data;

/// <summary>Folder datasets as an index of files decoded on demand by the loader's workers.</summary>
public sealed class StreamedFolderTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private DatasetSplits Folder(int side, int train = 4, int val = 2, int? imageSize = null)
    {
        string root = _tmp["folder"];
        if (!Directory.Exists(root)) ImageFolders.Write(root, classes: 10, train, val, side);
        return DatasetRegistry.Load("folder", new DatasetOptions { DataDir = root, ImageSize = imageSize ?? side });
    }

    [Fact]
    public void A_folder_of_32px_images_with_image_size_32_is_trained_and_evaluated_at_32px()
    {
        var splits = Folder(32);
        var options = TrainingOptions.For("folder", 32);
        Assert.Equal(32, options.Augmentation.ResizedCrop);
        var data = TrainingData.From(splits, []);

        var train = new BatchLoader(data.Train, AugmentationPipeline.Training(options.Augmentation, data.Normalization),
            new LoaderOptions { BatchSize = 8, Seed = 1, Threads = 2 });
        var batch = train.Epoch(1).First();
        var (images, labels) = batch.ToTensors();
        using (images) using (labels)
            Assert.Equal([8L, 3, 32, 32], images.shape);

        var eval = BatchLoader.ForEvaluation(data.Validation, data.Normalization, batchSize: 8, threads: 2);
        Assert.Equal((3, 32, 32), eval.SampleShape);
        Assert.Equal([8, 8, 4], eval.Epoch(0).Select(b => b.Count));
    }

    [Fact]
    public void A_folder_dataset_holds_no_pixels_and_its_loader_decodes_a_bounded_number_of_batches_ahead()
    {
        var train = Folder(16, train: 4).Train;
        Assert.True(train.IsStreamed);
        Assert.Throws<InvalidOperationException>(() => train.Pixels);

        var counter = new CountingStep();
        var loader = new BatchLoader(train, new AugmentationPipeline([new RandomResizedCrop(8), counter], Normalization.Unit(3)),
            new LoaderOptions { BatchSize = 4, Seed = 1, Threads = 3, Prefetch = 2 });
        Assert.Equal(10, loader.BatchCount);
        int ceiling = (1 + 2) * 4; // the batch handed out and the two after it
        using (var batches = loader.Epoch(1).GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (counter.Count < ceiling && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(10);
            Thread.Sleep(300); // time to overrun the bound, were it not enforced
            Assert.Equal(ceiling, counter.Count);
            while (batches.MoveNext()) { }
        }
        Assert.Equal(40, counter.Count);
    }

    [Fact]
    public void A_seed_gives_identical_batches_with_one_and_three_workers()
    {
        var data = TrainingData.From(Folder(24, train: 3), []);
        var pipeline = AugmentationPipeline.Training(TrainingOptions.For("folder", 16).Augmentation, data.Normalization);
        Assert.Contains(pipeline.Steps, s => s is RandAugment);
        List<(float[] Images, long[] Labels)> Epoch(int workers) =>
            new BatchLoader(data.Train, pipeline, new LoaderOptions { BatchSize = 7, Seed = 5, Threads = workers })
                .Epoch(2).Select(b => (b.Images.ToArray(), b.Labels.ToArray())).ToList();

        var one = Epoch(1);
        var three = Epoch(3);
        Assert.Equal(5, one.Count);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Labels, three[b].Labels);
            Assert.True(one[b].Images.AsSpan().SequenceEqual(three[b].Images), $"batch {b} differs between 1 and 3 workers");
        }
        // The augmentation is random: another epoch is not the same.
        var other = new BatchLoader(data.Train, pipeline, new LoaderOptions { BatchSize = 7, Seed = 5, Threads = 3 }).Epoch(3).First();
        Assert.False(one[0].Images.AsSpan().SequenceEqual(other.Images));
    }

    [Fact]
    public void The_evaluation_transform_scales_the_shorter_side_then_keeps_the_centre_square()
    {
        // 40 wide, 20 high; red rises 6 per column, green 12 per row. Resize 10 halves it to 20x10, the centre
        // 8x8 of that is the source square of side 16 at left 12, top 2, sampled at every other pixel's centre.
        string root = _tmp["geometry"];
        using (var bitmap = new SKBitmap(40, 20))
        {
            for (int y = 0; y < 20; y++)
                for (int x = 0; x < 40; x++)
                    bitmap.SetPixel(x, y, new SKColor((byte)(6 * x), (byte)(12 * y), 77));
            Directory.CreateDirectory(Path.Combine(root, "train", "a"));
            Directory.CreateDirectory(Path.Combine(root, "val", "a"));
            ImageFolders.Save(bitmap, Path.Combine(root, "train", "a", "g.png"));
            ImageFolders.Save(bitmap, Path.Combine(root, "val", "a", "g.png"));
        }
        Assert.Equal((2, 12, 16), new ResizeCenterCrop(10, 8).Window(20, 40));

        var val = FolderFormat.Load(root, new FolderGeometry(Crop: 8, Resize: 10)).Test;
        var image = val.Image(0);
        Assert.Equal(3 * 8 * 8, image.Length);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                // Source pixel centres 12.5 + 2x and 2.5 + 2y: bilinear halfway between two columns (rows).
                Assert.InRange(image[y * 8 + x], 6 * (12.5 + 2 * x) - 1, 6 * (12.5 + 2 * x) + 1);
                Assert.InRange(image[64 + y * 8 + x], 12 * (2.5 + 2 * y) - 1, 12 * (2.5 + 2 * y) + 1);
                Assert.Equal(77, image[128 + y * 8 + x]);
            }
    }

    [Fact]
    public void Truncated_png_and_jpeg_files_are_errors_naming_the_file()
    {
        string root = _tmp["cut"];
        ImageFolders.Write(root, classes: 10, train: 1, val: 1, side: 64, ".jpg");
        ImageFolders.Write(Path.Combine(root, "png"), classes: 1, train: 1, val: 1, side: 64);
        string jpeg = Path.Combine(root, "train", "class3", "img000.jpg"), png = Path.Combine(root, "png", "train", "class0", "img000.png");
        ImageFolders.Truncate(jpeg);
        ImageFolders.Truncate(png);

        foreach (string path in new[] { jpeg, png })
        {
            var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(path, 0, new ImageBuffer()));
            Assert.Equal($"{path}: cannot decode image (the file is truncated: its data ends before the image does)", e.Message);
        }
        var train = FolderFormat.Load(root, new FolderGeometry(32, 36)).Train;
        var loader = new BatchLoader(train, new AugmentationPipeline([new RandomResizedCrop(32)], Normalization.Unit(3)),
            new LoaderOptions { BatchSize = 5, Shuffle = false, Threads = 2 });
        var thrown = Assert.Throws<InvalidInputException>(() => loader.Epoch(1).ToList());
        Assert.StartsWith(jpeg, thrown.Message);
    }

    [Fact]
    public void A_large_jpeg_is_decoded_at_a_reduced_scale_that_still_covers_the_resize_side_and_a_png_at_full_size()
    {
        using var bitmap = new SKBitmap(640, 480);
        bitmap.Erase(new SKColor(40, 120, 220));
        string jpeg = _tmp["big.jpg"], png = _tmp["big.png"];
        ImageFolders.Save(bitmap, jpeg);
        ImageFolders.Save(bitmap, png);

        var buffer = new ImageBuffer();
        ImageDecoder.Decode(jpeg, 100, buffer);
        Assert.Equal((3, 120, 160), (buffer.Channels, buffer.Height, buffer.Width)); // a quarter: the smallest with side >= 100
        ImageDecoder.Decode(jpeg, 0, buffer);
        Assert.Equal((480, 640), (buffer.Height, buffer.Width));
        ImageDecoder.Decode(png, 100, buffer);
        Assert.Equal((480, 640), (buffer.Height, buffer.Width)); // PNG has no reduced decoding
    }

    [Fact]
    public void The_normalization_of_a_folder_comes_from_its_decoded_images()
    {
        string root = _tmp["solid"];
        byte[] reds = [0, 60, 120, 200];
        foreach (var (split, count) in new[] { ("train", 4), ("val", 1) })
            for (int i = 0; i < count; i++)
            {
                using var bitmap = new SKBitmap(10, 14);
                bitmap.Erase(new SKColor(reds[i], 255, 0));
                Directory.CreateDirectory(Path.Combine(root, split, "a"));
                ImageFolders.Save(bitmap, Path.Combine(root, split, "a", $"{i}.png"));
            }
        var train = FolderFormat.Load(root, new FolderGeometry(8, 9)).Train;
        var stats = Normalization.Compute(train);
        Assert.Equal(reds.Average(r => r / 255.0), stats.Mean[0], 4);
        Assert.Equal(1.0, stats.Mean[1], 4);
        Assert.Equal(1f, stats.Std[1]); // a constant channel keeps its scale
    }

    private sealed class CountingStep : IAugmentation
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public void Apply(ImageBuffer image, Random rng) => Interlocked.Increment(ref _count);
    }
}
