using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Data;

/// <summary>
/// A labelled image set, held one of two ways. In memory (IDX, CIFAR, predict's inputs): uint8 pixels in layout
/// [Count, Channels, Height, Width] (planar channels, row-major planes), shared, not copied: treat them as
/// read-only. Streamed (folders): only the file index; an image is decoded when it is asked for, so memory does
/// not grow with the dataset. Either way there is one class index per image, and Height x Width is the size
/// of a sample after the evaluation transform (the stored size in memory; the centre crop of a folder).
/// </summary>
public sealed class ImageDataset
{
    private readonly byte[]? _pixels;
    private readonly ImageFiles? _files;
    private readonly int[] _labels;
    // Evaluation transforms draw nothing at random; they are handed this.
    private static readonly Random Deterministic = new(0);

    /// <summary>An in-memory dataset over <paramref name="pixels"/> (kept, not copied). Throws <see cref="ArgumentException"/> when the sizes disagree or a label is outside 0..K-1.</summary>
    /// <param name="name">how messages name the dataset, e.g. "fashion-mnist-train"</param>
    /// <param name="pixels">uint8 [labels.Length, channels, height, width]</param>
    /// <param name="labels">the class of each image, in 0..classNames.Count-1</param>
    /// <param name="classNames">K names, in class order</param>
    /// <param name="channels">channels per image, at least 1</param>
    /// <param name="height">image height in pixels, at least 1</param>
    /// <param name="width">image width in pixels, at least 1</param>
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

    /// <summary>A streamed dataset: image i is <paramref name="files"/>[i], decoded on demand as 3 RGB planes.</summary>
    internal ImageDataset(string name, ImageFiles files, int[] labels, IReadOnlyList<string> classNames)
    {
        if (classNames.Count == 0) throw new ArgumentException("a dataset needs at least one class", nameof(classNames));
        if (files.Count != labels.Length) throw new ArgumentException($"{files.Count} files but {labels.Length} labels", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside 0..{classNames.Count - 1}", nameof(labels));
        Name = name;
        _files = files;
        _labels = labels;
        ClassNames = classNames.ToArray();
        Channels = 3;
        Height = Width = files.Geometry.Crop;
    }

    /// <summary>Whether images are decoded from files on demand rather than held in memory.</summary>
    public bool IsStreamed => _files is not null;
    /// <summary>The files of a streamed dataset; null in memory.</summary>
    internal ImageFiles? Files => _files;

    /// <summary>How messages and results name the dataset, e.g. "cifar10-test".</summary>
    public string Name { get; }
    /// <summary>The K class names, in class order.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Channels per image: 1 gray, 3 RGB (always 3 when streamed).</summary>
    public int Channels { get; }
    /// <summary>Height of a sample, in pixels, after the evaluation transform.</summary>
    public int Height { get; }
    /// <summary>Width of a sample, in pixels, after the evaluation transform.</summary>
    public int Width { get; }
    /// <summary>The number of images.</summary>
    public int Count => _labels.Length;
    /// <summary>K, the number of classes (not all need have images).</summary>
    public int ClassCount => ClassNames.Count;
    /// <summary>Bytes per image: Channels * Height * Width.</summary>
    public int ImageBytes => Channels * Height * Width;
    /// <summary>All pixels, [Count, Channels, Height, Width]; in-memory datasets only.</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels ?? throw new InvalidOperationException(
        $"{Name} is streamed from files and holds no pixel array; read images one at a time with Image(i)");
    /// <summary>The class of each image, by dataset index.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>
    /// Image <paramref name="index"/> as [Channels, Height, Width] bytes: the stored image, or for a streamed
    /// dataset the file decoded and put through the evaluation transform (a new array each call).
    /// </summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if (_pixels is not null) return _pixels.AsSpan(checked(index * ImageBytes), ImageBytes);
        var buffer = new ImageBuffer();
        Read(index, buffer);
        foreach (var step in EvaluationSteps) step.Apply(buffer, Deterministic);
        return buffer.ToArray();
    }

    /// <summary>
    /// Puts image <paramref name="index"/> into <paramref name="into"/> before any transform: the stored image,
    /// or the decoded file (at a reduced size when the codec can, never below the evaluation resize).
    /// </summary>
    internal void Read(int index, ImageBuffer into)
    {
        if (_files is null) into.Load(Image(index), Channels, Height, Width);
        else ImageDecoder.Decode(_files.Paths[index], _files.Geometry.Resize, into, _files.MaxPixels);
    }

    /// <summary>
    /// What evaluation does to an image from <see cref="Read"/> to make it Height x Width: nothing in memory; the
    /// resize of the shorter side and centre crop of docs/method.md#training-recipe for folders.
    /// </summary>
    internal IReadOnlyList<IAugmentation> EvaluationSteps => _files is null ? [] : [_files.Geometry.EvaluationCrop];

    /// <summary>The class of image <paramref name="index"/>.</summary>
    public int Label(int index) => _labels[index];

    /// <summary>How many images each class has, indexed by class.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[ClassCount];
        foreach (int label in _labels) counts[label]++;
        return counts;
    }

    /// <summary>
    /// A copy holding the first <paramref name="perClass"/> images of every class (all of a class that has fewer), in
    /// dataset order: a small balanced subset for a quick run.
    /// </summary>
    public ImageDataset FirstPerClass(int perClass)
    {
        if (perClass < 1) throw InvalidInputException.ForOption(nameof(perClass), $"{perClass} must be at least 1");
        var taken = new int[ClassCount];
        var indices = Enumerable.Range(0, Count).Where(i => taken[_labels[i]]++ < perClass).ToList();
        return Subset(indices);
    }

    /// <summary>
    /// This dataset as a model's <paramref name="transform"/> fits images: a streamed one's files decoded with the
    /// transform's sizes (so every path sees an image as the model was validated on it); one in memory as it is.
    /// </summary>
    public ImageDataset FittedTo(InputTransform transform) =>
        _files is null || transform.Folder is not { } geometry || geometry == _files.Geometry ? this
            : new ImageDataset(Name, new ImageFiles(_files.Paths, geometry, _files.MaxPixels), _labels, ClassNames);

    /// <summary>A copy holding the images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null) =>
        Select(indices, i => _labels[i], ClassNames, name ?? Name);

    /// <summary>A copy of the images at <paramref name="indices"/> with labels and class names replaced.</summary>
    internal ImageDataset Select(IReadOnlyList<int> indices, Func<int, int> label, IReadOnlyList<string> classNames, string name)
    {
        if (_files is not null)
            return new ImageDataset(name, _files.Select(indices), indices.Select(label).ToArray(), classNames);
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
/// <param name="Train">the training set</param>
/// <param name="Test">the test (or validation) set, with the same classes</param>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Test);
