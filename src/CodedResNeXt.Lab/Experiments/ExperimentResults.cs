using System.Text.Json;
using CodedResNeXt.Analysis;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.Experiments;

/// <summary>One class's binary classifier in a run: its size, threshold, and precision/recall against both kinds of negatives.</summary>
public sealed record BinaryClassifierFigures(
    int Class,
    string ClassName,
    long Parameters,
    double ParameterFraction,
    double Threshold,
    double Precision,
    double Recall,
    // Against images of the held-out classes; null when the run held none out.
    double? OodPrecision,
    double? OodRecall,
    // The share of negatives accepted, which unlike precision does not depend on how many negatives there are (null in records made before it was kept).
    double? FalsePositiveRate = null,
    double? OodFalsePositiveRate = null);

/// <summary>What one finished run measured, with the commands that reproduce it.</summary>
public sealed record RunFigures(
    string Name,
    string Group,
    string Variant,
    int Seed,
    string TrainCommand,
    string AnalyzeCommand,
    string Architecture,
    long Parameters,
    int Epochs,
    double TrainSeconds,
    // Training images per second over all epochs (the epochs' own timing, evaluation excluded).
    double ImagesPerSecond,
    double Top1,
    IReadOnlyList<double> PerClassAccuracy,
    IReadOnlyList<int> CodedBlockIndices,
    IReadOnlyList<double> EarlyDecoders,
    SpecializationResult? Removal,
    IReadOnlyList<BinaryClassifierFigures> BinaryClassifiers,
    IReadOnlyList<int> HeldOutClasses,
    string FinishedAt,
    // The CPU that recorded the run (Runtime.Machine.Describe), which trained it unless it resumed elsewhere; null in
    // results recorded before the field existed.
    string? Machine = null,
    // The last epoch's accuracy on the training batches as they were trained (augmented, with dropSubNNs), beside
    // Top1 the sign of under- or over-fitting; null in results recorded before the field existed.
    double? TrainTop1 = null)
{
    /// <summary>The figures of a run from its checkpoint's metadata, its metrics log and its analysis; <paramref name="machine"/> names the CPU recording it (<see cref="Runtime.Machine.Describe"/>).</summary>
    public static RunFigures From(ExperimentRun run, string trainCommand, string analyzeCommand, ModelMetadata model, int trainImages,
        IReadOnlyList<Training.EpochMetrics> epochs, AnalysisResults analysis, IReadOnlyList<double> perClass, DateTimeOffset finished, string machine)
    {
        double seconds = epochs.Sum(e => e.Seconds);
        return new RunFigures(run.Name, run.Group, run.Variant, run.Seed, trainCommand, analyzeCommand, model.Architecture.Name,
            model.ParameterCount, epochs.Count == 0 ? 0 : epochs[^1].Epoch, seconds, seconds > 0 ? (double)trainImages * epochs.Count / seconds : double.NaN,
            analysis.EarlyDecoding.Top1, perClass, analysis.EarlyDecoding.CodedBlockIndices, analysis.EarlyDecoding.Accuracy, analysis.Specialization,
            analysis.BinaryClassifiers.Select(b => new BinaryClassifierFigures(b.Class, b.ClassName, b.Parameters, b.ParameterFraction, b.Threshold,
                b.InDistribution.Precision, b.InDistribution.Recall, b.OutOfDistribution?.Precision, b.OutOfDistribution?.Recall,
                b.InDistribution.FalsePositiveRate, b.OutOfDistribution?.FalsePositiveRate)).ToList(),
            model.ExcludedClasses, finished.ToString("u"), machine, epochs.Count == 0 ? null : epochs[^1].TrainAccuracy);
    }

    /// <summary>Mean precision of the run's binary classifiers against in-distribution negatives, in [0, 1]; NaN without classifiers.</summary>
    public double MeanPrecision => MeanOf(b => b.Precision);
    /// <summary>Mean recall of the run's binary classifiers on the validation positives, in [0, 1]; NaN without classifiers.</summary>
    public double MeanRecall => MeanOf(b => b.Recall);
    /// <summary>Mean precision against out-of-distribution negatives, in [0, 1]; NaN when the run had none.</summary>
    public double MeanOodPrecision => MeanOf(b => b.OodPrecision);
    /// <summary>Mean recall measured alongside the out-of-distribution negatives, in [0, 1]; NaN when the run had none.</summary>
    public double MeanOodRecall => MeanOf(b => b.OodRecall);
    /// <summary>Mean share of in-distribution negatives accepted, in [0, 1]; NaN when no record kept it.</summary>
    public double MeanFalsePositiveRate => MeanOf(b => b.FalsePositiveRate);
    /// <summary>Mean share of out-of-distribution negatives accepted, in [0, 1]; NaN when the run had none or no record kept it.</summary>
    public double MeanOodFalsePositiveRate => MeanOf(b => b.OodFalsePositiveRate);
    /// <summary>Mean size of a binary classifier as a fraction of the whole network's parameters, in (0, 1].</summary>
    public double MeanParameterFraction => MeanOf(b => b.ParameterFraction);

    /// <summary>The mean over the classes that have the figure; NaN when none has it.</summary>
    private double MeanOf(Func<BinaryClassifierFigures, double?> figure)
    {
        var values = BinaryClassifiers.Select(figure).OfType<double>().Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }
}

/// <summary>
/// results/NAME.json: every finished run's figures as measured, and the aggregates computed from them. Written after
/// each run (atomically), so that a stopped experiment continues from the file.
/// </summary>
public sealed record ExperimentResults(string Experiment, IReadOnlyList<RunFigures> Runs, ExperimentAggregates Aggregates)
{
    /// <summary>The results of <paramref name="runs"/>, with their aggregates computed (<see cref="ExperimentAggregates.Of"/>).</summary>
    public static ExperimentResults Of(string experiment, IReadOnlyList<RunFigures> runs) => new(experiment, runs, ExperimentAggregates.Of(runs));

    /// <summary>The results in <paramref name="path"/>, or none when it does not exist yet.</summary>
    public static ExperimentResults LoadOrEmpty(string path, string experiment)
    {
        if (!File.Exists(path)) return Of(experiment, []);
        try
        {
            var results = JsonSerializer.Deserialize<ExperimentResults>(InputFile.ReadText(path, InputFile.LargeText, "experiment results file"), ExperimentPlan.Json)
                          ?? throw InvalidInputException.ForFile(path, "is empty");
            return Of(results.Experiment, results.Runs ?? []); // the aggregates are always recomputed from the runs
        }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"not an experiment results file: {e.Message.Split('\n')[0]}"); }
    }

    /// <summary>The same results with <paramref name="run"/> added (replacing an earlier record of the same name).</summary>
    public ExperimentResults With(RunFigures run) => Of(Experiment, [.. Runs.Where(r => r.Name != run.Name), run]);

    /// <summary>The same results with the runs in the order the plan lists them (runs it no longer lists last), whatever order they ended in.</summary>
    public ExperimentResults InOrderOf(ExperimentPlan plan)
    {
        var position = plan.Runs.Select((r, i) => (r.Name, i)).ToDictionary(x => x.Name, x => x.i);
        return Of(Experiment, [.. Runs.OrderBy(r => position.GetValueOrDefault(r.Name, int.MaxValue))]);
    }

    /// <summary>Writes the file atomically (<see cref="OutputFile"/>), so that a stop mid-write leaves the previous results.</summary>
    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        OutputFile.WriteText(path, JsonSerializer.Serialize(this, ExperimentPlan.Json));
    }
}
