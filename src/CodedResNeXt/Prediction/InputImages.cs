using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;
using SkiaSharp;

namespace CodedResNeXt.Prediction;

/// <summary>An image file and how it was fitted to the model's input.</summary>
/// <param name="File">the file's path</param>
/// <param name="Width">width of the file's image</param>
/// <param name="Height">height of the file's image</param>
/// <param name="Resized">whether fitting changed the image's pixels (its size was not the model's input size, or the
/// model's transform resizes before its centre crop)</param>
public sealed record InputImage(string File, int Width, int Height, bool Resized);

/// <summary>An image file's contents held in memory, such as an upload: a PNG or JPEG, checked and decoded as a file is.</summary>
/// <param name="Name">how predictions and errors name the image (a file name, "upload 1")</param>
/// <param name="Bytes">the encoded file, kept (not copied)</param>
public sealed record EncodedImage(string Name, byte[] Bytes);

/// <summary>
/// Image files (PNG or JPEG) turned into a model's input: decoded with SkiaSharp (a truncated or corrupt file is an
/// error naming it), fitted to size x size (shorter side scaled, centre square; untouched when already that size;
/// for a model trained on a folder, that folder's evaluation transform instead), and reduced to
/// gray by luminance (ITU-R BT.601, as PIL's "L" mode) for a one-channel model. Nothing else is done to them:
/// a Fashion-MNIST model expects light garments on a dark background, like its training images.
/// </summary>
internal static class InputImages
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    // The evaluation crop draws nothing at random.
    private static readonly Random Unused = new(0);

    /// <summary>The file itself, or every .png/.jpg/.jpeg file in the directory, sorted by name.</summary>
    public static IReadOnlyList<string> Find(string fileOrDirectory)
    {
        if (File.Exists(fileOrDirectory)) return [fileOrDirectory];
        if (!Directory.Exists(fileOrDirectory)) throw new InvalidInputException($"{fileOrDirectory}: no such file or directory");
        var files = Directory.GetFiles(fileOrDirectory)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new InvalidInputException($"{fileOrDirectory}: the directory holds no .png, .jpg or .jpeg image");
    }

    /// <summary>
    /// Decodes every file into one in-memory dataset of <paramref name="channels"/> x size x size images (labels 0,
    /// unused), in file order. The first file that cannot be decoded is an <see cref="InvalidInputException"/> naming it.
    /// </summary>
    /// <param name="files">paths of the image files</param>
    /// <param name="channels">the model's input channels: 1 (gray) or 3 (RGB)</param>
    /// <param name="size">the model's input side, in pixels</param>
    /// <param name="classNames">class names for the dataset (any non-empty list; the images are unlabelled)</param>
    /// <param name="folder">for a model trained on a folder: its evaluation transform (shorter side to Resize, centre crop)
    /// instead of the centre square scaled to size</param>
    /// <param name="maxPixels">the most pixels a file may declare (<see cref="ImageDecoder.DefaultMaxPixels"/>); more is refused before decoding</param>
    public static (ImageDataset Images, IReadOnlyList<InputImage> Sources) Load(IReadOnlyList<string> files, int channels, int size,
        IReadOnlyList<string> classNames, FolderGeometry? folder = null, long maxPixels = ImageDecoder.DefaultMaxPixels) =>
        Load(files.Count, i => files[i], channels, size, classNames, folder, maxPixels,
            (i, rgb) => FolderFormat.DecodeInto(files[i], size, rgb, maxPixels),
            (i, buffer) => ImageDecoder.Decode(files[i], folder!.Resize, buffer, maxPixels),
            i => ImageDecoder.Open(files[i], maxPixels));

    /// <summary>
    /// The same for images held in memory (uploads): each is checked (declared size, decompression bombs) and decoded
    /// as a file is; the first that cannot be is an <see cref="InvalidInputException"/> naming it.
    /// </summary>
    /// <param name="images">the encoded images</param>
    /// <param name="channels">the model's input channels: 1 (gray) or 3 (RGB)</param>
    /// <param name="size">the model's input side, in pixels</param>
    /// <param name="classNames">class names for the dataset (any non-empty list; the images are unlabelled)</param>
    /// <param name="folder">for a model trained on a folder: its evaluation transform</param>
    /// <param name="maxPixels">the most pixels an image may declare</param>
    public static (ImageDataset Images, IReadOnlyList<InputImage> Sources) Load(IReadOnlyList<EncodedImage> images, int channels, int size,
        IReadOnlyList<string> classNames, FolderGeometry? folder = null, long maxPixels = ImageDecoder.DefaultMaxPixels) =>
        Load(images.Count, i => images[i].Name, channels, size, classNames, folder, maxPixels,
            (i, rgb) => FolderFormat.DecodeInto(images[i], size, rgb, maxPixels),
            (i, buffer) => ImageDecoder.Decode(images[i], folder!.Resize, buffer, maxPixels),
            i => ImageDecoder.Open(images[i], maxPixels));

    private static (ImageDataset Images, IReadOnlyList<InputImage> Sources) Load(int count, Func<int, string> name, int channels, int size,
        IReadOnlyList<string> classNames, FolderGeometry? folder, long maxPixels,
        Action<int, byte[]> centreSquare, Action<int, ImageBuffer> decode, Func<int, SKCodec> open)
    {
        if (channels is not (1 or 3)) throw new InvalidInputException($"the model takes {channels}-channel images; only 1 (gray) and 3 (RGB) can be made from image files");
        int plane = size * size;
        var pixels = new byte[count * channels * plane];
        var rgb = new byte[3 * plane];
        var buffer = new ImageBuffer();
        var sources = new List<InputImage>();
        for (int i = 0; i < count; i++)
        {
            if (folder is null) centreSquare(i, rgb);
            else
            {
                decode(i, buffer);
                folder.EvaluationCrop.Apply(buffer, Unused);
                buffer.Pixels.CopyTo(rgb);
            }
            SKImageInfo info;
            using (var codec = open(i)) info = codec.Info;
            bool changed = info.Width != size || info.Height != size || (folder is not null && folder.Resize != size);
            sources.Add(new InputImage(name(i), info.Width, info.Height, changed));
            var target = pixels.AsSpan(i * channels * plane, channels * plane);
            if (channels == 3) rgb.CopyTo(target);
            else
                for (int p = 0; p < plane; p++)
                    target[p] = (byte)((299 * rgb[p] + 587 * rgb[plane + p] + 114 * rgb[2 * plane + p] + 500) / 1000);
        }
        return (new ImageDataset("images", pixels, new int[count], classNames, channels, size, size), sources);
    }
}
