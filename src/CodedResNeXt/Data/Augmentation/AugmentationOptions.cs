namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// Which training augmentations to use. <see cref="ResizedCrop"/> &gt; 0 selects the ImageNet recipe
/// (random-resized crop to that size, flip, RandAugment); otherwise the CIFAR recipe (RandAugment, padded
/// random crop, flip). docs/method.md#training-recipe.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>RandAugment's operations and magnitude; null (or zero operations) disables it.</summary>
    public RandAugment? RandAugment { get; init; }
    /// <summary>Padding of the random crop that keeps the size (4 for CIFAR); 0 disables it.</summary>
    public int CropPadding { get; init; }
    /// <summary>Whether to mirror images left-right with probability 1/2.</summary>
    public bool HorizontalFlip { get; init; }
    /// <summary>Output side of the random-resized crop; 0 disables it.</summary>
    public int ResizedCrop { get; init; }

    /// <summary>No augmentation at all: every option off.</summary>
    public static AugmentationOptions None { get; } = new();
}
