namespace CodedResNeXt.Data;

/// <summary>
/// A labelled image set decoded once into memory: uint8 pixels in layout [Count, Channels, Height, Width]
/// (planar channels, row-major planes) and one class index per image. Every reader produces this, and the
/// augmentations and the batch loader consume it, so decoding never happens inside the training loop.
/// The pixel and label arrays are shared, not copied: treat them as read-only.
/// </summary>
public sealed class ImageDataset
{
    private readonly byte[] _pixels;
    private readonly int[] _labels;

    public ImageDataset(string name, byte[] pixels, int[] labels, IReadOnlyList<string> classNames,
        int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (classNames.Count == 0) throw new ArgumentException("a dataset needs at least one class", nameof(classNames));
        long expected = (long)labels.Length * channels * height * width;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"{labels.Length} images of {channels}x{height}x{width} need {expected} bytes, got {pixels.LongLength}", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside 0..{classNames.Count - 1}", nameof(labels));
        Name = name;
        _pixels = pixels;
        _labels = labels;
        ClassNames = classNames.ToArray();
        Channels = channels;
        Height = height;
        Width = width;
    }

    public string Name { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => _labels.Length;
    public int ClassCount => ClassNames.Count;
    /// <summary>Bytes per image: Channels * Height * Width.</summary>
    public int ImageBytes => Channels * Height * Width;
    /// <summary>All pixels, [Count, Channels, Height, Width].</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>Image <paramref name="index"/> as [Channels, Height, Width] bytes.</summary>
    public ReadOnlySpan<byte> Image(int index) => _pixels.AsSpan(checked(index * ImageBytes), ImageBytes);

    public int Label(int index) => _labels[index];

    /// <summary>How many images each class has, indexed by class.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (int label in _labels) counts[label]++;
        return counts;
    }

    /// <summary>A copy holding the images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null) =>
        Select(indices, i => _labels[i], ClassNames, name ?? Name);

    /// <summary>A copy of the images at <paramref name="indices"/> with labels and class names replaced.</summary>
    internal ImageDataset Select(IReadOnlyList<int> indices, Func<int, int> label, IReadOnlyList<string> classNames, string name)
    {
        int size = ImageBytes;
        var pixels = new byte[checked((long)indices.Count * size)];
        var labels = new int[indices.Count];
        for (int j = 0; j < indices.Count; j++)
        {
            Image(indices[j]).CopyTo(pixels.AsSpan(j * size, size));
            labels[j] = label(indices[j]);
        }
        return new ImageDataset(name, pixels, labels, classNames, Channels, Height, Width);
    }
}

/// <summary>The two halves every dataset comes in: the training set and the held-out test (or validation) set.</summary>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);
