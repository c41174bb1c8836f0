using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Evaluation;

namespace CodedResNeXt.Analysis;

/// <summary>
/// Everything `crx analyze` measures on a trained network (docs/method.md#what-a-trained-network-gives-you); written as report/results.json and
/// drawn by the report. Lists over coded blocks are in block order.
/// </summary>
public sealed record AnalysisResults(
    string Checkpoint,
    string Architecture,
    string Dataset,
    IReadOnlyList<string> ClassNames,
    // Where the out-of-distribution negatives came from ("held-out classes 8, 9", a dataset name), or null.
    string? OodSource,
    EarlyDecodingResult EarlyDecoding,
    // Null for a network without coded blocks.
    SpecializationResult? Specialization,
    IReadOnlyList<BinaryClassifierResult> BinaryClassifiers,
    IReadOnlyList<BlockEnergyProfile> EnergyProfiles,
    IReadOnlyList<ImagePath> ExamplePaths,
    // What the numbers were measured on (sample sizes, seed) and where they depart from the paper's protocol.
    AnalysisSettings? Settings = null)
{
    /// <summary>Validation top-5 for 20 or more classes, else null.</summary>
    public double? ValidationTop5 { get; init; }

    /// <summary>Validation accuracy of each class (index among all K; NaN for a class without validation images).</summary>
    public IReadOnlyList<double>? ValidationPerClass { get; init; }

    /// <summary>
    /// Writes DIRECTORY/results.json (snake_case JSON, NaN as "NaN" where nothing was measured; the directory is created)
    /// atomically and returns its path: a kill while it is rewritten leaves the previous results whole. <see cref="Report.ReportWriter"/>
    /// draws them beside it.
    /// </summary>
    /// <param name="directory">the analysis folder</param>
    public string Save(string directory) => AnalysisResultsFile.Save(this, directory);

    /// <summary>Reads a results.json written by <see cref="Save"/>; a missing, oversized or malformed file is an <see cref="InvalidInputException"/> naming it.</summary>
    /// <param name="path">the results.json file</param>
    public static AnalysisResults Load(string path) => AnalysisResultsFile.Load(path);
}

/// <summary>
/// How an analysis was run: image counts behind each measurement, the seed of every random choice, and notes
/// (plain sentences) wherever the protocol is a sample rather than the whole set.
/// </summary>
public sealed record AnalysisSettings(
    int Seed,
    int ValidationImages,
    // Training images whose outputs fitted the thresholds (a random subset when the set is larger).
    int ThresholdImages,
    int TrainingImages,
    int OodImages,
    // Negatives per positive when they are sampled (networks of 100 or more classes), else null: all negatives.
    int? NegativesPerPositive,
    IReadOnlyList<string> Notes);

/// <summary>
/// Fig. 2a: in one coded block, for every validation image of class k, remove j random subNNs active for k
/// (ActiveRemoved[j-1], j = 1..N_act) or j random inactive ones (InactiveRemoved[j-1], j = 1..N-N_act).
/// </summary>
public sealed record SpecializationResult(
    int BlockIndex,
    string Scheme,
    double Baseline,
    IReadOnlyList<double> ActiveRemoved,
    IReadOnlyList<double> InactiveRemoved);

/// <summary>
/// The binary classifier of one class (Sec. 4.3): score = logit k with only class k's paths kept; the threshold
/// maximizes F1 on training outputs; scored on validation positives against in-distribution negatives and,
/// when there are any, out-of-distribution negatives.
/// </summary>
public sealed record BinaryClassifierResult(
    int Class,
    string ClassName,
    long Parameters,
    double ParameterFraction,
    double Threshold,
    double TrainF1,
    BinaryScores InDistribution,
    BinaryScores? OutOfDistribution,
    // Score histograms on shared bins: positives, in-distribution negatives, OOD negatives (or null).
    Histogram Positives,
    Histogram Negatives,
    Histogram? OodNegatives);

/// <summary>Counts of values in bins [Min + i*Width, Min + (i+1)*Width).</summary>
public sealed record Histogram(double Min, double Width, IReadOnlyList<int> Counts);

