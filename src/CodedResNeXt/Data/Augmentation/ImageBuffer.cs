namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// One image being augmented: uint8 [Channels, Height, Width] planes plus a scratch array of the same
/// capacity, so geometric transforms write to scratch and swap instead of allocating. One buffer per worker
/// thread is reused for every sample it handles.
/// </summary>
public sealed class ImageBuffer
{
    private byte[] _pixels = [];
    private byte[] _scratch = [];

    public int Channels { get; private set; }
    public int Height { get; private set; }
    public int Width { get; private set; }
    public int Length => Channels * Height * Width;
    public int Plane => Height * Width;

    /// <summary>The current image, [Channels, Height, Width].</summary>
    public Span<byte> Pixels => _pixels.AsSpan(0, Length);

    public Span<byte> Channel(int c) => _pixels.AsSpan(c * Plane, Plane);

    /// <summary>Copies an image in, replacing whatever the buffer held.</summary>
    public void Load(ReadOnlySpan<byte> image, int channels, int height, int width)
    {
        if (image.Length != channels * height * width)
            throw new ArgumentException($"an image of {channels}x{height}x{width} has {channels * height * width} bytes, got {image.Length}");
        Reshape(channels, height, width);
        image.CopyTo(_pixels);
    }

    /// <summary>Resizes the buffer for a new image and returns its pixels to be filled in.</summary>
    internal Span<byte> Reset(int channels, int height, int width)
    {
        Reshape(channels, height, width);
        return Pixels;
    }

    public static ImageBuffer From(ReadOnlySpan<byte> image, int channels, int height, int width)
    {
        var buffer = new ImageBuffer();
        buffer.Load(image, channels, height, width);
        return buffer;
    }

    public byte[] ToArray() => Pixels.ToArray();

    /// <summary>A scratch target for an image of <paramref name="height"/> x <paramref name="width"/>; publish it with <see cref="SwapScratch"/>.</summary>
    internal Span<byte> Scratch(int height, int width)
    {
        int needed = Channels * height * width;
        if (_scratch.Length < needed) _scratch = new byte[needed];
        return _scratch.AsSpan(0, needed);
    }

    /// <summary>Makes the scratch image (of the given size) the current one.</summary>
    internal void SwapScratch(int height, int width)
    {
        (_pixels, _scratch) = (_scratch, _pixels);
        Height = height;
        Width = width;
    }

    private void Reshape(int channels, int height, int width)
    {
        int needed = channels * height * width;
        if (_pixels.Length < needed) _pixels = new byte[needed];
        Channels = channels;
        Height = height;
        Width = width;
    }
}
