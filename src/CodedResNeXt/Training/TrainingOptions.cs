using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Training;

/// <summary>
/// Every hyperparameter of a training run, with the paper's defaults per dataset (docs/method.md#training-recipe).
/// The CLI exposes each as a named flag; a flag left out keeps the value of <see cref="For"/>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The dataset, by catalogue name (<see cref="DatasetRegistry.Names"/>).</summary>
    public required string Dataset { get; init; }
    /// <summary>A preset name (<see cref="Model.Presets.Names"/>) or the path of an architecture file.</summary>
    public required string Architecture { get; init; }
    /// <summary>Train the plain ResNeXt control: every block N/N and mu = 0.</summary>
    public bool Control { get; init; }
    /// <summary>Epochs to train; the cosine schedule spans them all.</summary>
    public int Epochs { get; init; }
    /// <summary>Images per (micro-)batch.</summary>
    public int BatchSize { get; init; }
    /// <summary>SGD's peak learning rate: where the cosine starts, at the end of the warm-up if there is one.</summary>
    public double LearningRate { get; init; }
    /// <summary>The rate the cosine decays to at the last step.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>Epochs of linear warm-up before the cosine (may be fractional; 0: none).</summary>
    public double WarmupEpochs { get; init; }
    /// <summary>SGD's L2 weight decay.</summary>
    public double WeightDecay { get; init; }
    /// <summary>SGD momentum, in [0, 1).</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Nesterov momentum (needs <see cref="Momentum"/> above 0).</summary>
    public bool Nesterov { get; init; } = true;
    /// <summary>mu, the weight of the summed coding losses.</summary>
    public double Mu { get; init; }
    /// <summary>p_drop of dropSubNNs on coded blocks (0 elsewhere).</summary>
    public double PDrop { get; init; } = 0.1;
    /// <summary>p, the exponent of the coding loss: 4 in the paper (docs/method.md#energy-and-the-coding-loss).</summary>
    public double LossExponent { get; init; } = 4;
    /// <summary>The threshold of the coding loss max(|r·E − w| − threshold, 0)^p: deviations below it cost nothing; 0 in the paper.</summary>
    public double LossThreshold { get; init; }
    /// <summary>Training augmentation; the dataset's recipe unless overridden.</summary>
    public required AugmentationOptions Augmentation { get; init; }
    /// <summary>
    /// Micro-batches whose gradients are summed (each loss scaled by 1/K) before one optimizer step: an effective batch
    /// of BatchSize x K in the memory of one BatchSize. BN still normalizes over each micro-batch.
    /// </summary>
    public int Accumulate { get; init; } = 1;
    /// <summary>Seeds the initial weights, the dropSubNNs masks, and the batch order and augmentations.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>
    /// The number format the network computes in while it trains: float32, or bfloat16 with float32 master weights as
    /// the paper trained (<see cref="Runtime.Autocast"/>). Validation, evaluation and the saved weights are float32 either way.
    /// </summary>
    public Runtime.Precision Precision { get; init; } = Runtime.Precision.Float32;
    /// <summary>Per-channel mean/std: the released code's constants (CIFAR's default) or the training set's own.</summary>
    public NormalizationSource Normalization { get; init; } = NormalizationSource.Dataset;
    /// <summary>
    /// Folder datasets: the evaluation sizes (--image-size, --resize-size), kept so a resumed run reads its images
    /// as it started; the training crop is <see cref="AugmentationOptions.ResizedCrop"/>.
    /// </summary>
    public FolderGeometry? Folder { get; init; }
    /// <summary>Classes left out of training, kept as out-of-distribution data for the analyses.</summary>
    public IReadOnlyList<int> ExcludeClasses { get; init; } = [];

    /// <summary>
    /// Whether two options define the same run: every property equal, the classes left out by their items (a record's
    /// own equality would compare the list by reference). How a run is carried out (threads, workers, device, a step
    /// limit, the weights it starts from, its folder) is <see cref="TrainingSetup"/>'s, not part of this record.
    /// </summary>
    public bool Equals(TrainingOptions? other) => other is not null && (ReferenceEquals(this, other) || Key(this) == Key(other));

    /// <summary>A hash consistent with <see cref="Equals(TrainingOptions?)"/>.</summary>
    public override int GetHashCode() => Key(this).GetHashCode(StringComparison.Ordinal);

    // Every property as the checkpoint stores it: two options are equal when their stored forms are.
    private static string Key(TrainingOptions o) => System.Text.Json.JsonSerializer.Serialize(o, ModelFiles.ModelFile.Json);

    /// <summary>
    /// Whether a run made with <paramref name="other"/> is this run continued: equal but for <see cref="Epochs"/>, which
    /// a resumed run may extend. The one rule for the CLI's --resume and for reusing a run folder.
    /// </summary>
    public bool IsSameRunAs(TrainingOptions other) => Equals(this with { Epochs = other.Epochs }, other);

    /// <summary>
    /// Throws an <see cref="InvalidInputException"/> naming the first property that is out of range (NaN included),
    /// as training would before it starts; the CLI names the flag of that property.
    /// </summary>
    public void Validate() => TrainingOptionsValidation.Validate(this);

    /// <summary>mu as used: zero for the control, which has no coded block.</summary>
    public double EffectiveMu => Control ? 0 : Mu;

    /// <summary>
    /// The fixed constants this run normalizes with, or null when they come from its training set; an
    /// <see cref="InvalidInputException"/> when published constants are asked of a dataset that has none.
    /// </summary>
    public Normalization? FixedNormalization() => Normalization switch
    {
        NormalizationSource.Published => Data.Normalization.Published(Dataset)
            ?? throw InvalidInputException.ForOption(nameof(Normalization), $"published constants exist for {string.Join(" and ", DatasetRegistry.Names.Where(n => DatasetRegistry.Get(n).PublishedNormalization is not null))} only, not {Dataset}; use dataset"),
        _ => null,
    };

    /// <summary>
    /// The default recipe of a registered dataset (<see cref="DatasetDefinition.Recipe"/>; Fashion-MNIST: ours,
    /// docs/method.md#deviations-from-the-paper); for a dataset that fits its images to the network, its training crop is
    /// <paramref name="imageSize"/>, the network's input side.
    /// </summary>
    public static TrainingOptions For(string datasetName, int imageSize = 160) => DatasetRegistry.Get(datasetName).RecipeFor(imageSize);
}
