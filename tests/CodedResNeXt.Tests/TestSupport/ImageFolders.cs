using CodedResNeXt.Model;
using SkiaSharp;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>ImageNet-style folders of small image files, and a tiny RGB network that takes them.</summary>
public static class ImageFolders
{
    /// <summary>
    /// Writes root/train/classK/*.png (<paramref name="train"/> per class) and root/val/classK/*.png
    /// (<paramref name="val"/> per class) of side x side: class k is a bright square at one of a few positions
    /// on a colour that varies with the image, so images differ and classes can be told apart.
    /// </summary>
    public static void Write(string root, int classes, int train, int val, int side, string extension = ".png")
    {
        var rng = new Random(3);
        foreach (var (split, perClass) in new[] { ("train", train), ("val", val) })
            for (int k = 0; k < classes; k++)
            {
                string dir = Path.Combine(root, split, $"class{k}");
                Directory.CreateDirectory(dir);
                for (int i = 0; i < perClass; i++)
                {
                    using var bitmap = new SKBitmap(side, side);
                    bitmap.Erase(new SKColor((byte)rng.Next(80), (byte)rng.Next(80), (byte)rng.Next(80)));
                    using (var canvas = new SKCanvas(bitmap))
                    using (var paint = new SKPaint { Color = new SKColor(250, 240, 230) })
                    {
                        int cell = side / 4;
                        canvas.DrawRect(cell * (k % 3), cell * (k / 3 % 3), cell, cell, paint);
                    }
                    Save(bitmap, Path.Combine(dir, $"img{i:D3}{extension}"));
                }
            }
    }

    /// <summary>Writes the first <paramref name="count"/> images of a grayscale dataset as PNG files; their paths, in order.</summary>
    public static IReadOnlyList<string> WritePngs(CodedResNeXt.Data.ImageDataset images, int count, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(images.Width, images.Height, SKColorType.Gray8, SKAlphaType.Opaque);
            var pixels = images.Image(i);
            for (int y = 0; y < images.Height; y++)
                for (int x = 0; x < images.Width; x++)
                {
                    byte v = pixels[y * images.Width + x];
                    bitmap.SetPixel(x, y, new SKColor(v, v, v));
                }
            string path = Path.Combine(directory, $"img{i:D3}.png");
            Save(bitmap, path);
            paths.Add(path);
        }
        return paths;
    }

    public static void Save(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        var format = Path.GetExtension(path).ToLowerInvariant() == ".png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = image.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Cuts the file to its first half, as an interrupted copy or download leaves it.</summary>
    public static void Truncate(string path)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }

    /// <summary>A coded network for 3 x side x side input in <paramref name="classes"/> = 10 classes: seconds to train.</summary>
    public static ArchitectureSpec Architecture(int side) => new("tiny-rgb", 10, 3, side, new StemSpec(3, 8, 3, 2, MaxPool: false),
    [
        new BlockSpec("c2", 8, 8, 1, 10, 1),
        new BlockSpec("c3", 8, 16, 1, 10, 2, "cifar10/5/10", 0.1),
        new BlockSpec("c4", 16, 16, 2, 10, 2, "cifar10/3/10", 0.1),
    ]);

    public static string ArchitectureFile(string directory, int side)
    {
        string path = Path.Combine(directory, $"tiny-rgb-{side}.json");
        CodedResNeXt.Model.ArchitectureFile.Save(Architecture(side), path);
        return path;
    }
}
