using SkiaSharp;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// ImageNet-style folders (docs/method.md#datasets-and-file-formats): root/train/&lt;class&gt;/*.JPEG|*.jpg|*.png and root/val/&lt;class&gt;/….
/// Class folders, sorted ordinally, are the classes; train and val must have the same ones. Loading lists the
/// files and nothing more: the datasets are streamed (<see cref="ImageDataset.IsStreamed"/>), each image decoded
/// when a batch needs it, with the sizes of <see cref="FolderGeometry"/>.
/// </summary>
internal static class FolderFormat
{
    private static readonly string[] Extensions = [".jpeg", ".jpg", ".png"];

    /// <summary>
    /// Indexes root/train and root/val as two streamed datasets named "&lt;root folder&gt;-train" and "-val", labelled by
    /// their sorted class folders. Throws <see cref="InvalidInputException"/> naming the folder when either is missing,
    /// they hold different class folders, or a class folder has no image.
    /// </summary>
    /// <param name="root">the folder holding train/ and val/</param>
    /// <param name="geometry">the sizes the images are decoded and cropped to</param>
    /// <param name="maxPixels">the most pixels an image file may declare (<see cref="ImageDecoder.DefaultMaxPixels"/>)</param>
    public static DatasetSplits Load(string root, FolderGeometry geometry, long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        if (maxPixels < 1) throw InvalidInputException.ForOption("MaxImagePixels", $"{maxPixels} must be at least 1");
        if (!Directory.Exists(root)) throw new InvalidInputException($"{root}: directory not found (expected train/ and val/ class folders)");
        string trainDir = Path.Combine(root, "train"), valDir = Path.Combine(root, "val");
        foreach (string dir in new[] { trainDir, valDir })
            if (!Directory.Exists(dir)) throw new InvalidInputException($"{dir}: directory not found (a folder dataset needs train/ and val/)");

        var trainClasses = ClassFolders(trainDir);
        var valClasses = ClassFolders(valDir);
        if (!trainClasses.SequenceEqual(valClasses, StringComparer.Ordinal))
        {
            var onlyTrain = trainClasses.Except(valClasses, StringComparer.Ordinal).ToList();
            var onlyVal = valClasses.Except(trainClasses, StringComparer.Ordinal).ToList();
            throw new InvalidInputException($"{root}: train/ and val/ have different class folders: only in train: " +
                $"{(onlyTrain.Count > 0 ? string.Join(", ", onlyTrain) : "none")}; only in val: {(onlyVal.Count > 0 ? string.Join(", ", onlyVal) : "none")}");
        }
        if (trainClasses.Count == 0) throw new InvalidInputException($"{trainDir}: holds no class folders");

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
        return new DatasetSplits(
            Index(trainDir, trainClasses, geometry, maxPixels, $"{name}-train"),
            Index(valDir, valClasses, geometry, maxPixels, $"{name}-val"));
    }

    private static List<string> ClassFolders(string dir) =>
        Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    private static ImageDataset Index(string dir, IReadOnlyList<string> classes, FolderGeometry geometry, long maxPixels, string name)
    {
        var paths = new List<string>();
        var labels = new List<int>();
        for (int k = 0; k < classes.Count; k++)
        {
            string classDir = Path.Combine(dir, classes[k]);
            var images = Directory.EnumerateFiles(classDir)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (images.Count == 0) throw new InvalidInputException($"{classDir}: class folder holds no .jpeg, .jpg or .png image");
            paths.AddRange(images);
            labels.AddRange(Enumerable.Repeat(k, images.Count));
        }
        return new ImageDataset(name, new ImageFiles(paths.ToArray(), geometry, maxPixels), labels.ToArray(), classes);
    }

    /// <summary>Predict's fitting of a file: decodes it, scales its shorter side to <paramref name="size"/>, keeps the centre square as RGB planes.</summary>
    internal static void DecodeInto(string path, int size, Span<byte> planes, long maxPixels = ImageDecoder.DefaultMaxPixels) =>
        CentreSquareInto(ImageDecoder.DecodeBitmap(path, size, maxPixels), path, size, planes);

    /// <summary>The same for an image file's contents held in memory (an upload).</summary>
    internal static void DecodeInto(Prediction.EncodedImage image, int size, Span<byte> planes, long maxPixels = ImageDecoder.DefaultMaxPixels) =>
        CentreSquareInto(ImageDecoder.DecodeBitmap(image, size, maxPixels), image.Name, size, planes);

    private static void CentreSquareInto(SKBitmap bitmap, string path, int size, Span<byte> planes)
    {
        using var decoded = bitmap;

        int side = Math.Min(decoded.Width, decoded.Height);
        var square = SKRectI.Create((decoded.Width - side) / 2, (decoded.Height - side) / 2, side, side);
        using var cropped = new SKBitmap();
        if (!decoded.ExtractSubset(cropped, square)) throw new InvalidInputException($"{path}: cannot crop the decoded image");
        // At the stored size already: copy, since even a resampling filter at scale 1 would blur.
        using var resized = side == size ? null : new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (resized is not null && !cropped.ScalePixels(resized, new SKSamplingOptions(SKCubicResampler.Mitchell)))
            throw new InvalidInputException($"{path}: cannot resize the decoded image");
        var result = resized ?? cropped;

        var rgba = result.GetPixelSpan();
        int plane = size * size, rowBytes = result.RowBytes;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int src = y * rowBytes + 4 * x, dst = y * size + x;
                planes[dst] = rgba[src];
                planes[plane + dst] = rgba[src + 1];
                planes[2 * plane + dst] = rgba[src + 2];
            }
    }
}
