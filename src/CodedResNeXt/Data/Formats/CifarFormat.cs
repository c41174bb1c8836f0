namespace CodedResNeXt.Data.Formats;

/// <summary>
/// The CIFAR binary formats (docs/method.md#datasets-and-file-formats). CIFAR-10: records of 1 label byte + 3072 pixel bytes
/// (1024 R, 1024 G, 1024 B, each a row-major 32x32 plane) in data_batch_1..5.bin and test_batch.bin,
/// class names in batches.meta.txt. CIFAR-100: 1 coarse byte + 1 fine byte + 3072 pixel bytes in
/// train.bin and test.bin, names in fine_label_names.txt and coarse_label_names.txt.
/// The planar R,G,B layout is already [C,H,W], so records copy straight into the dataset.
/// </summary>
internal static class CifarFormat
{
    /// <summary>The side of a CIFAR image, in pixels.</summary>
    public const int Side = 32;
    /// <summary>Pixel bytes of one record: 3 planes of 32x32.</summary>
    public const int ImageBytes = 3 * Side * Side;

    /// <summary>The folder the CIFAR-10 binary archive unpacks to.</summary>
    public const string Cifar10Folder = "cifar-10-batches-bin";
    /// <summary>The folder the CIFAR-100 binary archive unpacks to.</summary>
    public const string Cifar100Folder = "cifar-100-binary";

    /// <summary>
    /// Loads CIFAR-10 from <paramref name="directory"/>, which may be the folder holding the .bin files or the
    /// folder into which the archive was unpacked (holding cifar-10-batches-bin/).
    /// </summary>
    public static DatasetSplits LoadCifar10(string directory)
    {
        string dir = Locate(directory, "data_batch_1.bin", Cifar10Folder)
            ?? throw new InvalidInputException($"{directory}: no CIFAR-10 binary files here nor in {Cifar10Folder}/ (expected data_batch_1.bin; the download option fetches them)");
        var names = DataFile.ReadNames(Path.Combine(dir, "batches.meta.txt"));
        var train = ReadBatches(Enumerable.Range(1, 5).Select(i => Path.Combine(dir, $"data_batch_{i}.bin")).ToArray(),
            labelOffset: 0, labelBytes: 1, names, "batches.meta.txt", "cifar10-train");
        var test = ReadBatches([Path.Combine(dir, "test_batch.bin")], 0, 1, names, "batches.meta.txt", "cifar10-test");
        return new DatasetSplits(train, test);
    }

    /// <summary>Loads CIFAR-100 with its 100 fine labels, or its 20 coarse superclasses when <paramref name="coarse"/>.</summary>
    public static DatasetSplits LoadCifar100(string directory, bool coarse = false)
    {
        string dir = Locate(directory, "train.bin", Cifar100Folder)
            ?? throw new InvalidInputException($"{directory}: no CIFAR-100 binary files here nor in {Cifar100Folder}/ (expected train.bin; the download option fetches them)");
        string namesFile = coarse ? "coarse_label_names.txt" : "fine_label_names.txt";
        var names = DataFile.ReadNames(Path.Combine(dir, namesFile));
        int offset = coarse ? 0 : 1;
        string suffix = coarse ? "-coarse" : "";
        var train = ReadBatches([Path.Combine(dir, "train.bin")], offset, 2, names, namesFile, $"cifar100{suffix}-train");
        var test = ReadBatches([Path.Combine(dir, "test.bin")], offset, 2, names, namesFile, $"cifar100{suffix}-test");
        return new DatasetSplits(train, test);
    }

    /// <summary>Only CIFAR-10's test batch (evaluation and OOD negatives need no training images).</summary>
    public static ImageDataset LoadCifar10Test(string directory)
    {
        string dir = Locate(directory, "test_batch.bin", Cifar10Folder)
            ?? throw new InvalidInputException($"{directory}: no CIFAR-10 test batch here nor in {Cifar10Folder}/ (expected test_batch.bin)");
        var names = DataFile.ReadNames(Path.Combine(dir, "batches.meta.txt"));
        return ReadBatches([Path.Combine(dir, "test_batch.bin")], 0, 1, names, "batches.meta.txt", "cifar10-test");
    }

    /// <summary>Only CIFAR-100's test set, with fine or coarse labels.</summary>
    public static ImageDataset LoadCifar100Test(string directory, bool coarse = false)
    {
        string dir = Locate(directory, "test.bin", Cifar100Folder)
            ?? throw new InvalidInputException($"{directory}: no CIFAR-100 test set here nor in {Cifar100Folder}/ (expected test.bin)");
        string namesFile = coarse ? "coarse_label_names.txt" : "fine_label_names.txt";
        var names = DataFile.ReadNames(Path.Combine(dir, namesFile));
        return ReadBatches([Path.Combine(dir, "test.bin")], coarse ? 0 : 1, 2, names, namesFile, $"cifar100{(coarse ? "-coarse" : "")}-test");
    }

    /// <summary>The folder holding <paramref name="marker"/>: the directory itself or its archive subfolder.</summary>
    internal static string? Locate(string directory, string marker, string archiveFolder)
    {
        if (File.Exists(Path.Combine(directory, marker))) return directory;
        string inner = Path.Combine(directory, archiveFolder);
        return File.Exists(Path.Combine(inner, marker)) ? inner : null;
    }

    private static ImageDataset ReadBatches(string[] paths, int labelOffset, int labelBytes,
        IReadOnlyList<string> classNames, string namesFile, string name)
    {
        int record = labelBytes + ImageBytes;
        var contents = new byte[paths.Length][];
        long count = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            // The largest CIFAR file, CIFAR-100's train.bin, holds 50000 records of 3074 bytes (147 MiB).
            contents[f] = DataFile.ReadAll(paths[f], 160L << 20, "CIFAR batch file");
            int length = contents[f].Length;
            if (length == 0) throw new InvalidInputException($"{paths[f]}: empty file, expected {record}-byte records");
            if (length % record != 0)
                throw new InvalidInputException($"{paths[f]}: truncated record: {length} bytes is not a whole number of {record}-byte records");
            count += length / record;
        }
        if (count * ImageBytes > Array.MaxLength)
            throw new InvalidInputException($"{paths[0]}: {count} images do not fit in memory");

        var pixels = new byte[count * ImageBytes];
        var labels = new int[count];
        int i = 0;
        foreach (var (bytes, path) in contents.Zip(paths))
        {
            for (int r = 0; r < bytes.Length / record; r++, i++)
            {
                int at = r * record;
                int label = bytes[at + labelOffset];
                if (label >= classNames.Count)
                    throw new InvalidInputException($"{path}: label {label} of record {r} is out of range for the {classNames.Count} classes of {namesFile}");
                labels[i] = label;
                bytes.AsSpan(at + labelBytes, ImageBytes).CopyTo(pixels.AsSpan(i * ImageBytes, ImageBytes));
            }
        }
        return new ImageDataset(name, pixels, labels, classNames, 3, Side, Side);
    }
}
