using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using CodedResNeXt.Data;

namespace CodedResNeXt.Tests.Data;

/// <summary>Writers for small files in the official dataset layouts, and small synthetic images.</summary>
public static class DataFixtures
{
    /// <summary>An MNIST-style folder (train-* and t10k-* IDX files, uncompressed) holding <paramref name="splits"/>.</summary>
    public static string WriteIdxFolder(string dir, CodedResNeXt.Data.DatasetSplits splits)
    {
        Directory.CreateDirectory(dir);
        foreach (var (set, prefix) in new[] { (splits.Train, "train"), (splits.Test, "t10k") })
        {
            WriteIdxImages(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), set.Count, set.Height, set.Width, gzip: false, set.Pixels.ToArray());
            WriteIdxLabels(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), set.Labels.Select(l => (byte)l).ToArray(), gzip: false);
        }
        return dir;
    }

    /// <summary>Image i has pixel (y, x) = (i * 31 + y * 7 + x) mod 256, so every image and position differs.</summary>
    public static byte[] IdxPixels(int count, int rows, int cols)
    {
        var pixels = new byte[count * rows * cols];
        for (int i = 0; i < count; i++)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < cols; x++)
                    pixels[(i * rows + y) * cols + x] = (byte)((i * 31 + y * 7 + x) % 256);
        return pixels;
    }

    public static void WriteIdxImages(string path, int count, int rows, int cols, bool gzip, byte[]? pixels = null, int magic = 0x803)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), cols);
        Write(path, [.. header, .. pixels ?? IdxPixels(count, rows, cols)], gzip);
    }

    public static void WriteIdxLabels(string path, byte[] labels, bool gzip, int magic = 0x801, int? declaredCount = null)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), declaredCount ?? labels.Length);
        Write(path, [.. header, .. labels], gzip);
    }

    /// <summary>The four Fashion-MNIST files: 6 train and 4 test images of 5x4, labels i mod 10 / (i + 3) mod 10.</summary>
    public static void WriteIdxDirectory(string dir, bool gzip)
    {
        Directory.CreateDirectory(dir);
        string ext = gzip ? ".gz" : "";
        WriteIdxImages(Path.Combine(dir, "train-images-idx3-ubyte" + ext), 6, 5, 4, gzip);
        WriteIdxLabels(Path.Combine(dir, "train-labels-idx1-ubyte" + ext), [0, 1, 2, 3, 4, 5], gzip);
        WriteIdxImages(Path.Combine(dir, "t10k-images-idx3-ubyte" + ext), 4, 5, 4, gzip);
        WriteIdxLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte" + ext), [3, 4, 5, 6], gzip);
    }

    private static void Write(string path, byte[] content, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, content); return; }
        using var file = File.Create(path);
        using var stream = new GZipStream(file, CompressionLevel.Fastest);
        stream.Write(content);
    }

    /// <summary>The planes of CIFAR image <paramref name="seed"/>: R = seed, G = position mod 256, B = 255 - seed.</summary>
    public static byte[] CifarImage(int seed)
    {
        var image = new byte[3072];
        for (int p = 0; p < 1024; p++)
        {
            image[p] = (byte)seed;
            image[1024 + p] = (byte)(p % 256);
            image[2048 + p] = (byte)(255 - seed);
        }
        return image;
    }

    /// <summary>A CIFAR record file: each record's label bytes followed by <see cref="CifarImage"/>(its seed).</summary>
    public static void WriteCifarBatch(string path, IEnumerable<(byte[] LabelBytes, int Seed)> records)
    {
        using var file = File.Create(path);
        foreach (var (labels, seed) in records)
        {
            file.Write(labels);
            file.Write(CifarImage(seed));
        }
    }

    /// <summary>
    /// CIFAR-10 in the official layout: data_batch_b holds 2 records (seeds 10b, 10b+1, labels b-1 and b),
    /// test_batch 3 records (seeds 100.., labels 7, 8, 9), and batches.meta.txt with a trailing blank line.
    /// </summary>
    public static void WriteCifar10(string dir)
    {
        Directory.CreateDirectory(dir);
        for (int b = 1; b <= 5; b++)
            WriteCifarBatch(Path.Combine(dir, $"data_batch_{b}.bin"), [([(byte)(b - 1)], 10 * b), ([(byte)b], 10 * b + 1)]);
        WriteCifarBatch(Path.Combine(dir, "test_batch.bin"), [([7], 100), ([8], 101), ([9], 102)]);
        File.WriteAllText(Path.Combine(dir, "batches.meta.txt"),
            "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
    }

    /// <summary>CIFAR-100 in the official layout: train.bin 3 records, test.bin 2, with (coarse, fine) label pairs.</summary>
    public static void WriteCifar100(string dir)
    {
        Directory.CreateDirectory(dir);
        WriteCifarBatch(Path.Combine(dir, "train.bin"), [([4, 30], 1), ([1, 1], 2), ([19, 99], 3)]);
        WriteCifarBatch(Path.Combine(dir, "test.bin"), [([0, 50], 4), ([7, 0], 5)]);
        File.WriteAllLines(Path.Combine(dir, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(k => $"fine{k}"));
        File.WriteAllLines(Path.Combine(dir, "coarse_label_names.txt"), Enumerable.Range(0, 20).Select(k => $"coarse{k}"));
    }

    /// <summary>A .tar.gz of every file under <paramref name="dir"/>, with paths relative to it.</summary>
    public static byte[] TarGz(string dir)
    {
        var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (string file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order())
                tar.WriteEntry(file, Path.GetRelativePath(dir, file).Replace('\\', '/'));
        }
        return memory.ToArray();
    }

    /// <summary>A dataset of <paramref name="count"/> random images with labels i mod classes.</summary>
    public static ImageDataset RandomDataset(int count, int channels, int height, int width, int classes = 3, int seed = 1)
    {
        var pixels = new byte[count * channels * height * width];
        new Random(seed).NextBytes(pixels);
        return new ImageDataset("random", pixels, Enumerable.Range(0, count).Select(i => i % classes).ToArray(),
            Enumerable.Range(0, classes).Select(k => $"c{k}").ToArray(), channels, height, width);
    }
}
