using System.Diagnostics;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Loading;
using SkiaSharp;

/// <summary>
/// Measurements of folder loading that BenchmarkDotNet's repeated runs do not suit (docs/performance.md#folder-loading):
/// <c>jpeg-folder ROOT TRAIN VAL CLASSES WIDTH HEIGHT</c> writes a synthetic ImageNet-style folder of JPEGs, and
/// <c>loader ROOT IMAGE_SIZE WORKERS BATCH BATCHES</c> times the training loader alone (decode, random-resized
/// crop, flip, RandAugment n2-m10, normalization) and the evaluation loader.
/// </summary>
internal static class LoaderTools
{
    public static bool TryRun(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "jpeg-folder":
                JpegFolder(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6]));
                return true;
            case "loader":
                Loader(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]));
                return true;
            default:
                return false;
        }
    }

    private static void JpegFolder(string root, int train, int val, int classes, int width, int height)
    {
        var clock = Stopwatch.StartNew();
        foreach (var (split, count) in new[] { ("train", train), ("val", val) })
        {
            for (int k = 0; k < classes; k++) Directory.CreateDirectory(Path.Combine(root, split, $"n{k:D5}"));
            Parallel.For(0, count, () => new SKBitmap(width, height), (i, _, bitmap) =>
            {
                int k = i % classes;
                var rng = new Random(i * 7919 + (split == "val" ? 1 : 0));
                // A smooth class-coloured gradient, a few shapes and a little noise: photo-like enough that JPEG
                // neither collapses it to nothing nor spends its bits on pure noise.
                using (var canvas = new SKCanvas(bitmap))
                {
                    var a = new SKColor((byte)(k * 37 % 256), (byte)(k * 91 % 256), (byte)(k * 53 % 256));
                    var b = new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
                    using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [a, b], SKShaderTileMode.Clamp);
                    using var paint = new SKPaint { Shader = shader };
                    canvas.DrawRect(0, 0, width, height, paint);
                    using var shape = new SKPaint { IsAntialias = true };
                    for (int s = 0; s < 6; s++)
                    {
                        shape.Color = new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
                        canvas.DrawCircle(rng.Next(width), rng.Next(height), rng.Next(2, Math.Max(3, width / 4)), shape);
                    }
                }
                var pixels = bitmap.GetPixelSpan();
                for (int n = 0; n < pixels.Length / 50; n++) pixels[rng.Next(pixels.Length)] ^= (byte)rng.Next(32);
                using var image = SKImage.FromBitmap(bitmap);
                using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
                File.WriteAllBytes(Path.Combine(root, split, $"n{k:D5}", $"{split}_{i:D7}.JPEG"), data.ToArray());
                return bitmap;
            }, bitmap => bitmap.Dispose());
        }
        Console.WriteLine($"{train} + {val} JPEGs of {width}x{height} in {classes} classes written to {root} in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static void Loader(string root, int imageSize, int workers, int batch, int batches)
    {
        var clock = Stopwatch.StartNew();
        var splits = DatasetRegistry.Load("folder", new DatasetOptions { DataDir = root, ImageSize = imageSize });
        Console.WriteLine($"indexed {splits.Train.Count} + {splits.Test.Count} files in {clock.Elapsed.TotalSeconds:F1} s");
        var unit = Normalization.Unit(3);
        var training = new BatchLoader(splits.Train, AugmentationPipeline.Training(DatasetRegistry.Get("folder").RecipeFor(imageSize).Augmentation, unit),
            new LoaderOptions { BatchSize = batch, Seed = 1, DropLast = true, Threads = workers });
        var evaluation = BatchLoader.ForEvaluation(splits.Test, unit, batch, workers);
        foreach (var (name, loader) in new[] { ("training", training), ("evaluation", evaluation) })
        {
            int n = Math.Min(batches, loader.BatchCount), images = 0;
            clock.Restart();
            foreach (var b in loader.Epoch(1).Take(n)) images += b.Count;
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{name}: {images} images of {imageSize}x{imageSize} with {workers} worker(s) in {seconds:F1} s: {images / seconds:F0} images/s");
        }
    }
}
