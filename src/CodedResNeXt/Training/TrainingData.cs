using CodedResNeXt.Data;

namespace CodedResNeXt.Training;

/// <summary>
/// The images a run trains and validates on. Classes excluded from training (<c>--exclude-classes</c>) are
/// removed from both sets but keep their original labels elsewhere, so the network still has K outputs and
/// the coding schemes their K codewords; the held-out validation images are the analyses' out-of-distribution data.
/// </summary>
/// <param name="Train">the training images, without the excluded classes</param>
/// <param name="Validation">the test images, without the excluded classes</param>
/// <param name="HeldOutValidation">the test images of the excluded classes only (empty when none is excluded)</param>
/// <param name="Normalization">what every image of the run is normalized with</param>
/// <param name="ExcludedClasses">classes held out of training, ascending</param>
public sealed record TrainingData(
    ImageDataset Train,
    ImageDataset Validation,
    ImageDataset HeldOutValidation,
    Normalization Normalization,
    IReadOnlyList<int> ExcludedClasses)
{
    /// <summary>All K class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames => Train.ClassNames;

    /// <summary>A dataset of the catalogue (<see cref="DatasetRegistry.Names"/>), normalized with its training set's statistics.</summary>
    /// <param name="dataset">a registered dataset's name (<see cref="DatasetRegistry.Names"/>)</param>
    /// <param name="where">where its files are, and a folder's image sizes (null: the defaults)</param>
    /// <param name="excludedClasses">classes held out of training (null: none)</param>
    public static TrainingData Load(string dataset, DatasetOptions? where = null, IReadOnlyList<int>? excludedClasses = null)
    {
        var splits = DatasetRegistry.Load(dataset, where ?? new DatasetOptions());
        return From(splits, excludedClasses ?? []);
    }

    /// <summary>
    /// The first <paramref name="trainPerClass"/> training and <paramref name="validationPerClass"/> validation images of
    /// every class (<see cref="ImageDataset.FirstPerClass"/>), with this data's normalization: a small run's data.
    /// </summary>
    /// <param name="trainPerClass">training images kept per class</param>
    /// <param name="validationPerClass">validation images kept per class</param>
    public TrainingData FirstPerClass(int trainPerClass, int validationPerClass) => this with
    {
        Train = Train.FirstPerClass(trainPerClass),
        Validation = Validation.FirstPerClass(validationPerClass),
    };

    /// <summary>The run's images; normalized with <paramref name="normalization"/>, or with the statistics of its training images when null.</summary>
    public static TrainingData From(DatasetSplits splits, IReadOnlyList<int> excludedClasses, Normalization? normalization = null)
    {
        if (normalization is not null && normalization.Channels != splits.Train.Channels)
            throw InvalidInputException.ForOption(nameof(TrainingOptions.Normalization), $"{normalization.Channels} channels of constants for the {splits.Train.Channels} channels of {splits.Train.Name}");
        foreach (int k in excludedClasses)
            if (k < 0 || k >= splits.Train.ClassCount)
                throw InvalidInputException.ForOption("ExcludeClasses", $"class {k} is not a class of {splits.Train.Name} (0..{splits.Train.ClassCount - 1})");
        if (excludedClasses.Distinct().Count() >= splits.Train.ClassCount)
            throw InvalidInputException.ForOption("ExcludeClasses", "at least one class must remain for training");
        var excluded = excludedClasses.ToHashSet();
        ImageDataset Keep(ImageDataset d, bool held) =>
            d.Subset(Enumerable.Range(0, d.Count).Where(i => excluded.Contains(d.Label(i)) == held).ToList());
        var train = excluded.Count == 0 ? splits.Train : Keep(splits.Train, false);
        var validation = excluded.Count == 0 ? splits.Test : Keep(splits.Test, false);
        var heldOut = Keep(splits.Test, true);
        return new TrainingData(train, validation, heldOut, normalization ?? Normalization.Compute(train), excludedClasses.Order().ToList());
    }
}
