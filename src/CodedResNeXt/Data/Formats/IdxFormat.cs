using System.Buffers.Binary;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (docs/method.md#datasets-and-file-formats): a big-endian header, then raw bytes.
/// Images: magic 0x00000803, count, rows, cols, then count*rows*cols pixels. Labels: magic 0x00000801,
/// count, then count label bytes. Files may be gzip-compressed (the official distribution) or raw.
/// </summary>
internal static class IdxFormat
{
    /// <summary>The magic number that opens an IDX images file (unsigned bytes, 3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;
    /// <summary>The magic number that opens an IDX labels file (unsigned bytes, 1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Fashion-MNIST's ten class names, in label order.</summary>
    public static readonly IReadOnlyList<string> FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's class names, the digits "0".."9".</summary>
    public static readonly IReadOnlyList<string> MnistClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Reads an images file: returns the pixels ([count, rows, cols]) and their shape.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        using var stream = DataFile.Open(path);
        CheckMagic(stream, path, ImagesMagic, "images");
        Span<byte> header = stackalloc byte[16];
        DataFile.ReadExactly(stream, header[4..], path, "the 16-byte images header");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows <= 0 || cols <= 0)
            throw new InvalidInputException($"{path}: bad header: {count} images of {rows}x{cols}");
        long total = (long)count * rows * cols;
        if (total > Array.MaxLength)
            throw new InvalidInputException($"{path}: header claims {count} images of {rows}x{cols}, more than fits in memory");
        // An uncompressed file says how much it holds: a damaged count must not allocate gigabytes first.
        if (stream.CanSeek && total > stream.Length - stream.Position)
            throw new InvalidInputException($"{path}: truncated: the file ends {total - (stream.Length - stream.Position)} bytes short of {count} images of {rows}x{cols}");
        var pixels = ReadBody(stream, total, path, $"{count} images of {rows}x{cols}");
        return (pixels, count, rows, cols);
    }

    /// <summary>Reads a labels file, checking every label is below <paramref name="classCount"/>.</summary>
    public static int[] ReadLabels(string path, int classCount)
    {
        using var stream = DataFile.Open(path);
        CheckMagic(stream, path, LabelsMagic, "labels");
        Span<byte> header = stackalloc byte[8];
        DataFile.ReadExactly(stream, header[4..], path, "the 8-byte labels header");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0) throw new InvalidInputException($"{path}: bad header: {count} labels");
        if (stream.CanSeek && count > stream.Length - stream.Position)
            throw new InvalidInputException($"{path}: truncated: the file ends {count - (stream.Length - stream.Position)} bytes short of {count} labels");
        var bytes = ReadBody(stream, count, path, $"{count} labels");
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (bytes[i] >= classCount)
                throw new InvalidInputException($"{path}: label {bytes[i]} of record {i} is out of range for {classCount} classes");
            labels[i] = bytes[i];
        }
        return labels;
    }

    /// <summary>Reads the 4-byte magic first, so a wrong kind of file is named as such even when it is short.</summary>
    private static void CheckMagic(Stream stream, string path, int expected, string kind)
    {
        Span<byte> bytes = stackalloc byte[4];
        DataFile.ReadExactly(stream, bytes, path, "the 4-byte magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expected)
            throw new InvalidInputException($"{path}: wrong magic 0x{magic:x8}, expected 0x{expected:x8} for an IDX {kind} file");
    }

    /// <summary>Reads one images file and its labels file into a dataset.</summary>
    public static ImageDataset ReadPair(string imagesPath, string labelsPath, string name, IReadOnlyList<string> classNames)
    {
        var (pixels, count, rows, cols) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath, classNames.Count);
        if (labels.Length != count)
            throw new InvalidInputException($"{labelsPath}: holds {labels.Length} labels but {imagesPath} holds {count} images");
        return new ImageDataset(name, pixels, labels, classNames, 1, rows, cols);
    }

    /// <summary>
    /// Loads train and test sets from a directory holding the four official files
    /// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each optionally .gz; the variant with a dot before
    /// idx (train-images.idx3-ubyte) is accepted too.
    /// </summary>
    public static DatasetSplits LoadDirectory(string directory, string name, IReadOnlyList<string> classNames)
    {
        if (!Directory.Exists(directory)) throw new InvalidInputException($"{directory}: directory not found (expected the {name} IDX files)");
        return new DatasetSplits(
            ReadPair(Find(directory, "train", "images", 3), Find(directory, "train", "labels", 1), $"{name}-train", classNames),
            ReadPair(Find(directory, "t10k", "images", 3), Find(directory, "t10k", "labels", 1), $"{name}-test", classNames));
    }

    /// <summary>
    /// Loads only the test split ({t10k}-…), for uses that never touch training images (evaluation, OOD
    /// negatives): a folder holding just the t10k files is enough.
    /// </summary>
    public static ImageDataset LoadTestSplit(string directory, string name, IReadOnlyList<string> classNames)
    {
        if (!Directory.Exists(directory)) throw new InvalidInputException($"{directory}: directory not found (expected the {name} IDX files)");
        return ReadPair(Find(directory, "t10k", "images", 3), Find(directory, "t10k", "labels", 1), $"{name}-test", classNames);
    }

    private static string Find(string directory, string split, string kind, int dims)
    {
        string[] candidates =
        [
            $"{split}-{kind}-idx{dims}-ubyte.gz", $"{split}-{kind}-idx{dims}-ubyte",
            $"{split}-{kind}.idx{dims}-ubyte.gz", $"{split}-{kind}.idx{dims}-ubyte",
        ];
        foreach (string file in candidates)
        {
            string path = Path.Combine(directory, file);
            if (File.Exists(path)) return path;
        }
        throw new InvalidInputException($"{Path.Combine(directory, candidates[0])}: file not found (nor without .gz)");
    }

    /// <summary>
    /// The <paramref name="length"/> bytes after the header, and nothing after them. A gzip stream cannot say how much
    /// it holds, so its bytes are read as they come instead of allocating what a damaged header claims.
    /// </summary>
    private static byte[] ReadBody(Stream stream, long length, string path, string what)
    {
        byte[] body;
        if (stream.CanSeek)
        {
            body = new byte[length];
            DataFile.ReadExactly(stream, body, path, what);
            if (DataFile.HasMore(stream, path)) throw More(path, what);
            return body;
        }
        try { body = InputFile.ReadBounded(stream, length, () => More(path, what)); }
        catch (InvalidDataException e) { throw new InvalidInputException($"{path}: corrupt gzip data ({e.Message})"); }
        if (body.Length < length)
            throw new InvalidInputException($"{path}: truncated: the file ends {length - body.Length} bytes short of {what}");
        return body;
    }

    private static InvalidInputException More(string path, string what) =>
        new($"{path}: holds more bytes than the {what} its header declares");
}
