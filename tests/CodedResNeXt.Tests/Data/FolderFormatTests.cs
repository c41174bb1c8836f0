using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using SkiaSharp;

namespace CodedResNeXt.Tests.Data;

public class FolderFormatTests
{
    /// <summary>Writes a solid-colour PNG of the given size.</summary>
    private static void WritePng(string path, int width, int height, SKColor color)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static void WriteTwoClassTree(string root)
    {
        WritePng(Path.Combine(root, "train", "cat", "a.png"), 20, 12, new SKColor(200, 10, 30));
        WritePng(Path.Combine(root, "train", "cat", "b.PNG"), 8, 8, new SKColor(10, 20, 30));
        WritePng(Path.Combine(root, "train", "dog", "c.png"), 12, 30, new SKColor(0, 255, 0));
        WritePng(Path.Combine(root, "val", "cat", "d.png"), 9, 9, new SKColor(1, 2, 3));
        WritePng(Path.Combine(root, "val", "dog", "e.png"), 9, 9, new SKColor(250, 251, 252));
        File.WriteAllText(Path.Combine(root, "train", "dog", "notes.txt"), "not an image, ignored");
    }

    [Fact]
    public void Reads_class_folders_and_stores_square_rgb_planes_of_the_given_size()
    {
        using var dir = new TempDirectory();
        WriteTwoClassTree(dir.Path);

        var (train, val) = FolderFormat.Load(dir.Path, new FolderGeometry(6, 6));

        Assert.Equal(["cat", "dog"], train.ClassNames);
        Assert.Equal([0, 0, 1], train.Labels);
        Assert.Equal([0, 1], val.Labels);
        Assert.Equal((3, 6, 6), (train.Channels, train.Height, train.Width));
        // A solid colour survives scaling and cropping: each plane holds one value.
        var image = train.Image(0);
        Assert.All(image[..36].ToArray(), v => Assert.Equal(200, v));
        Assert.All(image[36..72].ToArray(), v => Assert.Equal(10, v));
        Assert.All(image[72..].ToArray(), v => Assert.Equal(30, v));
        Assert.Equal(252, val.Image(1)[107]);
    }

    [Fact]
    public void The_stored_image_is_the_centre_square()
    {
        using var dir = new TempDirectory();
        // 30 wide, 10 high: left third red, middle third green, right third blue. The centre square is green.
        string path = dir["train/x/i.png"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var bitmap = new SKBitmap(30, 10))
        {
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 30; x++)
                    bitmap.SetPixel(x, y, x < 10 ? SKColors.Red : x < 20 ? SKColors.Lime : SKColors.Blue);
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }
        WritePng(dir["val/x/j.png"], 4, 4, SKColors.Black);

        foreach (int size in new[] { 10, 5 })
        {
            var stored = FolderFormat.Load(dir.Path, new FolderGeometry(size, size)).Train.Image(0);
            int plane = size * size;
            Assert.All(stored[..plane].ToArray(), v => Assert.Equal(0, v));               // no red
            Assert.All(stored[plane..(2 * plane)].ToArray(), v => Assert.Equal(255, v)); // all green
            Assert.All(stored[(2 * plane)..].ToArray(), v => Assert.Equal(0, v));         // no blue
        }
    }

    [Fact]
    public void Large_jpegs_are_decoded_at_reduced_scale_to_the_evaluation_size()
    {
        using var dir = new TempDirectory();
        string path = dir["train/sky/big.JPEG"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var bitmap = new SKBitmap(640, 480))
        {
            bitmap.Erase(new SKColor(40, 120, 220));
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Jpeg, 95).ToArray());
        }
        WritePng(dir["val/sky/small.png"], 4, 4, SKColors.White);

        var stored = FolderFormat.Load(dir.Path, new FolderGeometry(12, 12)).Train.Image(0);

        // JPEG is lossy: allow a few levels around the solid colour.
        Assert.All(stored[..144].ToArray(), v => Assert.InRange(v, 36, 44));
        Assert.All(stored[144..288].ToArray(), v => Assert.InRange(v, 116, 124));
        Assert.All(stored[288..].ToArray(), v => Assert.InRange(v, 216, 224));
    }

    [Fact]
    public void Different_class_folders_in_train_and_val_are_listed()
    {
        using var dir = new TempDirectory();
        WriteTwoClassTree(dir.Path);
        WritePng(dir["train/emu/f.png"], 4, 4, SKColors.White);
        WritePng(dir["val/fox/g.png"], 4, 4, SKColors.White);

        var e = Assert.Throws<InvalidInputException>(() => FolderFormat.Load(dir.Path, new FolderGeometry(6, 6)));
        Assert.Equal($"{dir.Path}: train/ and val/ have different class folders: only in train: emu; only in val: fox", e.Message);
    }

    [Fact]
    public void An_undecodable_image_is_named()
    {
        using var dir = new TempDirectory();
        WriteTwoClassTree(dir.Path);
        File.WriteAllText(dir["val/dog/broken.JPEG"], "this is not a JPEG");

        // Loading only lists files; the image is decoded, and refused, when it is read.
        var val = FolderFormat.Load(dir.Path, new FolderGeometry(6, 6)).Test;
        var e = Assert.Throws<InvalidInputException>(() => val.Image(1));
        Assert.StartsWith($"{dir["val/dog/broken.JPEG"]}: cannot decode image", e.Message);
    }

    [Fact]
    public void A_missing_val_folder_is_named()
    {
        using var dir = new TempDirectory();
        WritePng(dir["train/a/x.png"], 4, 4, SKColors.White);
        var e = Assert.Throws<InvalidInputException>(() => FolderFormat.Load(dir.Path, new FolderGeometry(6, 6)));
        Assert.Equal($"{dir["val"]}: directory not found (a folder dataset needs train/ and val/)", e.Message);
    }

    [Fact]
    public void The_catalog_loads_folders_at_the_requested_size()
    {
        using var dir = new TempDirectory();
        WriteTwoClassTree(dir.Path);
        var splits = DatasetRegistry.Load("folder", new DatasetOptions { DataDir = dir.Path, ImageSize = 5 });
        Assert.Equal((3, 5, 5), (splits.Test.Channels, splits.Test.Height, splits.Test.Width));
    }
}
