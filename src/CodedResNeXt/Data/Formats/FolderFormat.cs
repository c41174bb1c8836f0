using SkiaSharp;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// ImageNet-style folders (SPEC section 9): root/train/&lt;class&gt;/*.JPEG|*.jpg|*.png and root/val/&lt;class&gt;/….
/// Class folders, sorted ordinally, are the classes; train and val must have the same ones. Every image is
/// decoded once (in parallel) and stored at a fixed size: shorter side scaled to <c>size</c>, then the
/// centre size x size square, as 3 RGB planes.
/// </summary>
public static class FolderFormat
{
    private static readonly string[] Extensions = [".jpeg", ".jpg", ".png"];

    public static DatasetSplits Load(string root, int size, int threads = 0)
    {
        if (size < 1) throw InvalidInputException.ForOption("ImageSize", $"must be at least 1, got {size}");
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
            LoadSplit(trainDir, trainClasses, size, threads, $"{name}-train"),
            LoadSplit(valDir, valClasses, size, threads, $"{name}-val"));
    }

    private static List<string> ClassFolders(string dir) =>
        Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    private static ImageDataset LoadSplit(string dir, IReadOnlyList<string> classes, int size, int threads, string name)
    {
        var files = new List<(string Path, int Label)>();
        for (int k = 0; k < classes.Count; k++)
        {
            string classDir = Path.Combine(dir, classes[k]);
            var images = Directory.GetFiles(classDir)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (images.Count == 0) throw new InvalidInputException($"{classDir}: class folder holds no .jpeg, .jpg or .png image");
            files.AddRange(images.Select(f => (f, k)));
        }
        int imageBytes = 3 * size * size;
        if ((long)files.Count * imageBytes > Array.MaxLength)
            throw new InvalidInputException($"{dir}: {files.Count} images of 3x{size}x{size} do not fit in one in-memory array; use a smaller image size or fewer images");

        var pixels = new byte[files.Count * imageBytes];
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        try
        {
            Parallel.For(0, files.Count, options, i => DecodeInto(files[i].Path, size, pixels.AsSpan(i * imageBytes, imageBytes)));
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is InvalidInputException) is { } first)
        {
            throw first;
        }
        return new ImageDataset(name, pixels, files.Select(f => f.Label).ToArray(), classes, 3, size, size);
    }

    /// <summary>Decodes one file, scales its shorter side to <paramref name="size"/>, keeps the centre square as RGB planes.</summary>
    internal static void DecodeInto(string path, int size, Span<byte> planes)
    {
        using var codec = SKCodec.Create(path);
        if (codec is null) throw new InvalidInputException($"{path}: cannot decode image (not a readable JPEG or PNG)");
        var full = codec.Info;
        // JPEG decoders can scale down by 1/2..1/8 for free; ask for the smallest that still covers size.
        float scale = Math.Min(1f, (float)size / Math.Min(full.Width, full.Height));
        var scaled = codec.GetScaledDimensions(scale);
        if (Math.Min(scaled.Width, scaled.Height) < size) scaled = full.Size;
        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = SKBitmap.Decode(codec, info);
        if (decoded is null) throw new InvalidInputException($"{path}: cannot decode image (corrupt data)");

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
