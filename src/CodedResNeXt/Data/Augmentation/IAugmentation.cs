namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// A random transform of a uint8 image. Given the same <see cref="Random"/> state it does the same thing,
/// which is what makes the batch loader reproducible.
/// </summary>
internal interface IAugmentation
{
    /// <summary>Transforms <paramref name="image"/> in place (its size may change), drawing only from <paramref name="rng"/>.</summary>
    void Apply(ImageBuffer image, Random rng);

    /// <summary>The (height, width) this transform produces from an input of the given size.</summary>
    (int Height, int Width) OutputSize(int height, int width) => (height, width);
}
