namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// Which training augmentations to use. <see cref="ResizedCrop"/> &gt; 0 selects the ImageNet recipe
/// (random-resized crop to that size, flip, RandAugment); otherwise the CIFAR recipe (RandAugment, padded
/// random crop, flip). docs/method.md#training-recipe.
/// </summary>
public sealed record AugmentationOptions
{
    public RandAugment? RandAugment { get; init; }
    /// <summary>Padding of the random crop that keeps the size (4 for CIFAR); 0 disables it.</summary>
    public int CropPadding { get; init; }
    public bool HorizontalFlip { get; init; }
    /// <summary>Output side of the random-resized crop; 0 disables it.</summary>
    public int ResizedCrop { get; init; }

    public static AugmentationOptions None { get; } = new();
}
