using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Training;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// The decision rule of one kept class: "yes" when the class's logit is at least <see cref="Threshold"/>, the value
/// that maximized F1 on the training set (SPEC section 8). The other fields say how that fit went.
/// </summary>
/// <param name="Positives">training images of the class that were scored</param>
/// <param name="Negatives">training images of every other class that were scored</param>
public sealed record ClassThreshold(
    int Class,
    string Name,
    double Threshold,
    int Positives,
    int Negatives,
    double TrainingPrecision,
    double TrainingRecall,
    double TrainingF1);

/// <summary>
/// Everything an extracted classifier file needs to be used on its own: the extracted architecture (its
/// <see cref="ArchitectureSpec.KeptClasses"/> set), the codewords of its coding schemes, all K class names and the
/// kept ones, the input normalization, one threshold per kept class, where it came from and how big it is.
/// </summary>
/// <param name="Kind">always <see cref="BinaryClassifierFile.Kind"/>: what tells this file from a checkpoint</param>
/// <param name="ClassNames">the names of all K classes of the source network</param>
/// <param name="KeptClassNames">the names of the kept classes, in the order of the classifier's outputs</param>
/// <param name="Thresholds">one per kept class, in the order of the classifier's outputs</param>
/// <param name="ThresholdSamples">how many training images the thresholds were fitted on (all of them, or a seeded subset)</param>
/// <param name="ParameterCount">learnable parameters of the extracted network</param>
/// <param name="FullParameterCount">learnable parameters of the network it was extracted from</param>
public sealed record BinaryClassifierInfo(
    string Kind,
    int Format,
    ArchitectureSpec Architecture,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Schemes,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string> KeptClassNames,
    Normalization Normalization,
    IReadOnlyList<ClassThreshold> Thresholds,
    int ThresholdSamples,
    string SourceCheckpoint,
    string Dataset,
    long ParameterCount,
    long FullParameterCount)
{
    /// <summary>The kept classes (indices among all K), in the order of the classifier's outputs.</summary>
    [JsonIgnore] public IReadOnlyList<int> KeptClasses => Architecture.KeptClasses ?? Enumerable.Range(0, Architecture.Classes).ToArray();

    /// <summary>Share of the full network's parameters the extracted one keeps (written to meta.json for readers).</summary>
    public double ParameterFraction => (double)ParameterCount / FullParameterCount;

    /// <summary>Resolves scheme names from the codewords stored in the file.</summary>
    public Func<string, CodingScheme> SchemeResolver() => Checkpoint.SchemeResolver(Schemes, "the extracted classifier");
}
