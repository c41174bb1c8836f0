using CodedResNeXt.Data;
using CodedResNeXt.Training;

namespace CodedResNeXt.Analysis;

/// <summary>
/// Out-of-distribution negatives for the binary classifiers (docs/method.md#what-a-trained-network-gives-you): images of classes the network
/// never saw, either another dataset's validation set (CIFAR-100 for a CIFAR-10 model) or the validation images
/// of the classes held out of training.
/// </summary>
/// <param name="Images">the negative images; labels are ignored, every one is a negative for every classifier</param>
/// <param name="Source">where they come from, for the report ("cifar100", "held-out classes 8 (Bag), 9 (Ankle boot)")</param>
public sealed record OodNegatives(ImageDataset Images, string Source)
{
    /// <summary>
    /// The OOD negatives of an analysis: the test split of <paramref name="dataset"/> when one is named (its images
    /// must have the shape of the network's validation images), else the held-out validation images of a run
    /// trained with excluded classes, else none.
    /// </summary>
    public static OodNegatives? Resolve(string? dataset, DatasetOptions where, TrainingData data)
    {
        if (dataset is null) return HeldOut(data);
        ImageDataset test;
        try { test = DatasetRegistry.LoadValidation(dataset, where); }
        // The catalogue speaks of the dataset options; here the same problems are the OOD dataset's.
        catch (InvalidInputException e) when (e.Option is "Dataset" or "DataDir")
        {
            throw e.AboutOption("Ood" + e.Option);
        }
        return FromDataset(test, data.Validation, DatasetRegistry.Canonical(dataset));
    }

    /// <summary>Another dataset's images as negatives; a shape unlike <paramref name="reference"/>'s is an error.</summary>
    public static OodNegatives FromDataset(ImageDataset images, ImageDataset reference, string source)
    {
        if (images.Channels != reference.Channels || images.Height != reference.Height || images.Width != reference.Width)
            throw InvalidInputException.ForOption("OodDataset",
                $"{source} has {images.Channels}x{images.Height}x{images.Width} images but the network takes " +
                $"{reference.Channels}x{reference.Height}x{reference.Width} ({reference.Name})");
        if (images.Count == 0) throw InvalidInputException.ForOption("OodDataset", $"{source} has no validation images");
        return new OodNegatives(images, source);
    }

    /// <summary>The validation images of the classes held out of training, or null when none were.</summary>
    public static OodNegatives? HeldOut(TrainingData data)
    {
        if (data.ExcludedClasses.Count == 0 || data.HeldOutValidation.Count == 0) return null;
        string classes = string.Join(", ", data.ExcludedClasses.Select(k => $"{k} ({data.ClassNames[k]})"));
        return new OodNegatives(data.HeldOutValidation, $"held-out classes {classes}");
    }
}
