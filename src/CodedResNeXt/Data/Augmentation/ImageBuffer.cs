namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// One image being augmented: uint8 [Channels, Height, Width] planes plus a scratch array of the same
/// capacity, so geometric transforms write to scratch and swap instead of allocating. One buffer per worker
/// thread is reused for every sample it handles.
/// </summary>
internal sealed class ImageBuffer
{
    private byte[] _pixels = [];
    private byte[] _scratch = [];

    /// <summary>Channels of the current image (1 gray, 3 RGB).</summary>
    public int Channels { get; private set; }
    /// <summary>Height of the current image, in pixels.</summary>
    public int Height { get; private set; }
    /// <summary>Width of the current image, in pixels.</summary>
    public int Width { get; private set; }
    /// <summary>Bytes of the current image: Channels × Height × Width.</summary>
    public int Length => Channels * Height * Width;
    /// <summary>Bytes of one channel: Height × Width.</summary>
    public int Plane => Height * Width;

    /// <summary>The current image, [Channels, Height, Width].</summary>
    public Span<byte> Pixels => _pixels.AsSpan(0, Length);

    /// <summary>Channel <paramref name="c"/>'s plane of the current image, row-major, writable.</summary>
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

    /// <summary>A new buffer holding a copy of <paramref name="image"/>, uint8 [<paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>].</summary>
    public static ImageBuffer From(ReadOnlySpan<byte> image, int channels, int height, int width)
    {
        var buffer = new ImageBuffer();
        buffer.Load(image, channels, height, width);
        return buffer;
    }

    /// <summary>A copy of the current image, [Channels, Height, Width].</summary>
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
