namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// The ImageNet evaluation transform: scale the shorter side to <paramref name="Resize"/>, keep the centre
/// <paramref name="Crop"/> x <paramref name="Crop"/> square. Done as one bilinear resample of the source window
/// that becomes that square, so no intermediate image is made. Nothing random.
/// </summary>
/// <param name="Resize">the side the shorter side is scaled to, in pixels</param>
/// <param name="Crop">the side of the centre square kept, in pixels</param>
internal sealed record ResizeCenterCrop(int Resize, int Crop) : IAugmentation
{
    /// <summary>Always <see cref="Crop"/> x <see cref="Crop"/>.</summary>
    public (int Height, int Width) OutputSize(int height, int width) => (Crop, Crop);

    /// <summary>Replaces <paramref name="image"/> by its centre crop at the scale of <see cref="Resize"/>; <paramref name="rng"/> is not used.</summary>
    public void Apply(ImageBuffer image, Random rng)
    {
        var (top, left, side) = Window(image.Height, image.Width);
        RandomResizedCrop.Resize(image, top, left, side, side, Crop, Crop);
    }

    /// <summary>The source square (top, left, side) that maps onto the output.</summary>
    public (int Top, int Left, int Side) Window(int height, int width)
    {
        int shorter = Math.Min(height, width);
        int side = Math.Clamp((int)Math.Round((double)Crop * shorter / Resize), 1, shorter);
        return ((height - side) / 2, (width - side) / 2, side);
    }
}
