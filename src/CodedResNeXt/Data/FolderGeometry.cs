using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Data;

/// <summary>
/// The image sizes of a folder dataset (docs/method.md#training-recipe, the ImageNet recipe). Evaluation and predict scale the
/// shorter side to <see cref="Resize"/> and keep the centre <see cref="Crop"/> x <see cref="Crop"/> square;
/// training takes a random-resized crop to its own size (--crop-size). Files are decoded at a reduced size
/// whose shorter side is still at least <see cref="Resize"/>.
/// </summary>
/// <param name="Crop">the side of the evaluation centre crop, the network's input side, in pixels</param>
/// <param name="Resize">the shorter side before that crop, at least <paramref name="Crop"/></param>
public sealed record FolderGeometry(int Crop, int Resize)
{
    /// <summary>The standard ratio: resize 256 for crop 224.</summary>
    public static int DefaultResize(int crop) => (int)Math.Round(crop * 256.0 / 224.0);

    /// <summary>
    /// The largest side of a network's input and of the resized image: 4096, eighteen times ImageNet's 224. Every
    /// image is scaled to it before the crop, so a side far beyond the images (an --image-size of 10^5 on 8x8 files)
    /// would make each decoded image tens of GB.
    /// </summary>
    public const int MaxSide = 4096;

    /// <summary>The geometry for a centre crop of <paramref name="crop"/> after resizing the shorter side to <paramref name="resize"/> (null: <see cref="DefaultResize"/>); errors name the options ImageSize and ResizeSize.</summary>
    public static FolderGeometry For(int crop, int? resize = null)
    {
        if (crop < 1) throw InvalidInputException.ForOption("ImageSize", $"must be at least 1, got {crop}");
        if (crop > MaxSide) throw InvalidInputException.ForOption("ImageSize", $"{crop} is more than {MaxSide} pixels");
        if (resize > MaxSide) throw InvalidInputException.ForOption("ResizeSize", $"{resize} is more than {MaxSide} pixels");
        int r = resize ?? DefaultResize(crop);
        if (r < crop) throw InvalidInputException.ForOption("ResizeSize", $"{r} is smaller than the centre crop {crop} (the image size)");
        return new FolderGeometry(crop, r);
    }

    /// <summary>The evaluation transform of this geometry: shorter side to <see cref="Resize"/>, centre <see cref="Crop"/> square.</summary>
    internal ResizeCenterCrop EvaluationCrop => new(Resize, Crop);
}
