using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Training;

namespace CodedResNeXt.Data;

/// <summary>
/// Everything the library knows about one dataset, as data: how its files are read, its class names, its published
/// normalization, its training recipe (augmentation, hyperparameters, default architecture). The built-in datasets are
/// entries of <see cref="DatasetRegistry"/>; a user's own dataset is registered the same way
/// (<see cref="DatasetRegistry.Register"/>) and is then named by --dataset, training, evaluation and model files alike.
/// </summary>
public sealed record DatasetDefinition
{
    /// <summary>The canonical name, lower case: the one model files and run configs store.</summary>
    public required string Name { get; init; }

    /// <summary>Other spellings that name it ("cifar-10" for "cifar10").</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Reads the train and test splits from where <see cref="DatasetOptions"/> says.</summary>
    public required Func<DatasetOptions, DatasetSplits> Load { get; init; }

    /// <summary>Reads only the test split (evaluation needs no training files); null reads both and keeps the test split.</summary>
    public Func<DatasetOptions, ImageDataset>? LoadValidation { get; init; }

    /// <summary>The class names in label order when the dataset fixes them (null: they come from its files).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The number of classes of a second, coarser label set (CIFAR-100's 20 superclasses), or null: a network with that many
    /// classes trained on this dataset used the coarse labels, the rule by which its data is reloaded.
    /// </summary>
    public int? CoarseClassCount { get; init; }

    /// <summary>The mean and std the released code normalizes with (CIFAR), or null: the training set's own statistics.</summary>
    public Normalization? PublishedNormalization { get; init; }

    /// <summary>The default directory of its files, or null when the user must name one (DatasetOptions.DataDir).</summary>
    public string? DefaultDataDirectory { get; init; }

    /// <summary>Whether <see cref="DatasetOptions.Download"/> can fetch its files.</summary>
    public bool Downloadable { get; init; }

    /// <summary>
    /// Whether its images come in any size and are fitted to the network's input (shorter side resized, centre crop),
    /// as a folder of image files is; false for datasets of fixed-size images, which the network takes as they are.
    /// </summary>
    public bool FitsImagesToInput { get; init; }

    /// <summary>
    /// The recipe a run on this dataset gets by default: its hyperparameters, augmentation and architecture
    /// (docs/method.md#training-recipe). For a dataset that fits its images, the crop and evaluation sizes follow the
    /// network's input side (<see cref="RecipeFor"/>).
    /// </summary>
    public required TrainingOptions Recipe { get; init; }

    /// <summary>The default recipe for a network whose input side is <paramref name="imageSize"/> (only datasets that fit their images depend on it).</summary>
    public TrainingOptions RecipeFor(int imageSize = 160) => !FitsImagesToInput ? Recipe : Recipe with
    {
        Folder = FolderGeometry.For(imageSize),
        Augmentation = Recipe.Augmentation with { ResizedCrop = imageSize },
    };

    /// <summary>Whether a network of <paramref name="classes"/> classes trained on this dataset used its coarse labels.</summary>
    public bool UsesCoarseLabels(int classes) => CoarseClassCount == classes;

    /// <summary>The test split, through <see cref="LoadValidation"/> when the dataset has a cheaper path.</summary>
    public ImageDataset LoadTestSplit(DatasetOptions options) => LoadValidation is { } load ? load(options) : Load(options).Test;
}
