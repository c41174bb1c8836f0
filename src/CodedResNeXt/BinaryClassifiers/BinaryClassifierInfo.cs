using System.Text.Json.Serialization;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// The decision rule of one kept class: "yes" when the class's logit is at least <see cref="Threshold"/>, the value
/// that maximized F1 on the training set (docs/method.md#what-a-trained-network-gives-you). The other fields say how that fit went.
/// </summary>
/// <param name="Class">the class, by index among all K</param>
/// <param name="Name">its class name</param>
/// <param name="Threshold">the decision threshold on the class's logit</param>
/// <param name="Positives">training images of the class that were scored</param>
/// <param name="Negatives">training images of other classes that were scored</param>
/// <param name="TrainingPrecision">precision at the threshold on the scored training images, in [0, 1]</param>
/// <param name="TrainingRecall">recall at the threshold on the scored training images, in [0, 1]</param>
/// <param name="TrainingF1">F1 at the threshold on the scored training images, the figure the threshold maximizes</param>
public sealed record ClassThreshold(
    int Class,
    string Name,
    double Threshold,
    int Positives,
    int Negatives,
    double TrainingPrecision,
    double TrainingRecall,
    double TrainingF1);

/// <summary>The "classifier" section of an extracted classifier's metadata.</summary>
/// <param name="KeptClassNames">the names of the kept classes, in the order of the classifier's outputs</param>
/// <param name="Thresholds">one per kept class, in the order of the classifier's outputs</param>
/// <param name="ThresholdSamples">how many training images the thresholds were fitted on (all of them, or a seeded subset)</param>
/// <param name="SourceCheckpoint">the full path of the model file it was extracted from, or "(a network in memory)"</param>
/// <param name="FullParameterCount">learnable parameters of the network it was extracted from</param>
internal sealed record ClassifierSection(
    IReadOnlyList<string> KeptClassNames,
    IReadOnlyList<ClassThreshold> Thresholds,
    int ThresholdSamples,
    string SourceCheckpoint,
    long FullParameterCount)
{
    /// <summary>Share of the full network's parameters the extracted one keeps (written for readers of meta.json).</summary>
    public double ParameterFraction { get; init; }
}

/// <summary>An extracted classifier's description: the model's metadata and its classifier section.</summary>
/// <param name="Model">the model file's metadata: the extracted architecture, class names, normalization, dataset</param>
/// <param name="Classifier">the kept classes, their thresholds and the source</param>
internal sealed record BinaryClassifierInfo(ModelMetadata Model, ClassifierSection Classifier)
{
    /// <summary>The extracted network's architecture: only the kept subNNs, one output per kept class.</summary>
    public ArchitectureSpec Architecture => Model.Architecture;
    /// <summary>The names of all K classes of the source network.</summary>
    public IReadOnlyList<string> ClassNames => Model.ClassNames;
    /// <summary>The per-channel normalization the source network was trained with; inputs must get the same.</summary>
    public Normalization Normalization => Model.Normalization;
    /// <summary>The kept classes (indices among all K), in the order of the classifier's outputs.</summary>
    public IReadOnlyList<int> KeptClasses => Model.KeptClasses;
    /// <summary>The names of the kept classes, in the order of the classifier's outputs.</summary>
    public IReadOnlyList<string> KeptClassNames => Classifier.KeptClassNames;
    /// <summary>One decision threshold per kept class, in the order of the classifier's outputs.</summary>
    public IReadOnlyList<ClassThreshold> Thresholds => Classifier.Thresholds;
    /// <summary>Learnable parameters of the extracted network.</summary>
    public long ParameterCount => Model.ParameterCount;
    /// <summary>Learnable parameters of the full network it was extracted from.</summary>
    public long FullParameterCount => Classifier.FullParameterCount;
    /// <summary><see cref="ParameterCount"/> / <see cref="FullParameterCount"/>, in (0, 1].</summary>
    public double ParameterFraction => (double)ParameterCount / FullParameterCount;
}
