namespace CodedResNeXt.Data.Augmentation;

/// <summary>Mirrors the image left-right with probability <paramref name="Probability"/>.</summary>
/// <param name="Probability">chance of a flip per image, in [0, 1]; 0.5 by default</param>
internal sealed record HorizontalFlip(double Probability = 0.5) : IAugmentation
{
    /// <summary>Mirrors <paramref name="image"/> in place with probability <see cref="Probability"/> (one draw from <paramref name="rng"/>).</summary>
    public void Apply(ImageBuffer image, Random rng)
    {
        if (rng.NextDouble() < Probability) Mirror(image);
    }

    /// <summary>Mirrors <paramref name="image"/> left-right in place, every channel.</summary>
    public static void Mirror(ImageBuffer image)
    {
        int w = image.Width;
        var pixels = image.Pixels;
        for (int row = 0; row < image.Channels * image.Height; row++)
            pixels.Slice(row * w, w).Reverse();
    }
}
