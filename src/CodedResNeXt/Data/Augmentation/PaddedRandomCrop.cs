namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// The CIFAR crop: zero-pad every side by <paramref name="Padding"/> pixels and cut a window of the original
/// size at a uniformly random offset, i.e. shift the image by dx, dy in [-Padding, Padding] filling with zeros.
/// </summary>
/// <param name="Padding">the zero padding on every side, in pixels (4 for CIFAR); 0 or less does nothing</param>
internal sealed record PaddedRandomCrop(int Padding = 4) : IAugmentation
{
    /// <summary>Shifts <paramref name="image"/> in place by a random dx, dy, each uniform in [-Padding, Padding].</summary>
    public void Apply(ImageBuffer image, Random rng)
    {
        if (Padding <= 0) return;
        int dx = rng.Next(2 * Padding + 1) - Padding;
        int dy = rng.Next(2 * Padding + 1) - Padding;
        Shift(image, dx, dy);
    }

    /// <summary>out(x, y) = in(x + dx, y + dy), zero where that falls outside the image.</summary>
    public static void Shift(ImageBuffer image, int dx, int dy)
    {
        if (dx == 0 && dy == 0) return;
        int h = image.Height, w = image.Width, plane = image.Plane;
        var src = image.Pixels;
        var dst = image.Scratch(h, w);
        dst.Clear();
        int x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
        int y0 = Math.Max(0, -dy), y1 = Math.Min(h, h - dy);
        if (x1 > x0)
            for (int c = 0; c < image.Channels; c++)
                for (int y = y0; y < y1; y++)
                    src.Slice(c * plane + (y + dy) * w + x0 + dx, x1 - x0).CopyTo(dst.Slice(c * plane + y * w + x0));
        image.SwapScratch(h, w);
    }
}
