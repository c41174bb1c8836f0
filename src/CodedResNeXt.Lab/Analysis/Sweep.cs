using System.Globalization;
using System.Text;
using System.Text.Json;
using CodedResNeXt.Experiments;
using CodedResNeXt.Training;
using ScottPlot;

namespace CodedResNeXt.Analysis;

/// <summary>The hyperparameters a sweep varies (docs/method.md#what-a-trained-network-gives-you, ablations).</summary>
public enum SweepParameter
{
    /// <summary>mu, the weight of the summed coding losses.</summary>
    Mu,
    /// <summary>p_drop of dropSubNNs on coded blocks.</summary>
    PDrop,
    /// <summary>p, the coding loss's exponent (<see cref="TrainingOptions.LossExponent"/>).</summary>
    LossExponent,
}

/// <summary>
/// One sweep: the same run (seed, budget, every other option) trained once per value of one parameter, each in
/// <see cref="Directory"/>/&lt;param&gt;=&lt;value&gt;.
/// </summary>
public sealed record SweepPlan(SweepParameter Parameter, IReadOnlyList<double> Values, TrainingOptions Options, string Directory)
{
    /// <summary>The parameter as the CLI spells it: mu, p-drop, loss-exponent.</summary>
    public string ParameterName => Sweep.Name(Parameter);

    /// <summary>The plan's training options with the swept parameter set to <paramref name="value"/>.</summary>
    public TrainingOptions OptionsFor(double value) => Parameter switch
    {
        SweepParameter.Mu => Options with { Mu = value },
        SweepParameter.PDrop => Options with { PDrop = value },
        _ => Options with { LossExponent = value },
    };

    /// <summary>Where the run of <paramref name="value"/> trains: &lt;Directory&gt;/&lt;param&gt;=&lt;value&gt;, the value in invariant culture ("mu=6", "p-drop=0.1").</summary>
    public string RunDirectory(double value) => Path.Combine(Directory, RunName(value));

    /// <summary>The run of <paramref name="value"/>, as its folder and its lines name it: "mu=6".</summary>
    public string RunName(double value) => $"{ParameterName}={value.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The sweep as an experiment of one seed: one coded run per value, named and placed as <see cref="RunName"/> and
    /// <see cref="RunDirectory"/> say, in the group of the swept parameter; no results file or report of its own.
    /// </summary>
    public ExperimentPlan ToExperiment() => new($"sweep over {ParameterName}", Directory, "", "",
        Values.Select(v => new ExperimentRun(RunName(v), ParameterName, ExperimentPlan.CodedVariant, Options.Seed, null, [])
        {
            Recipe = new TrainingRecipe { Options = OptionsFor(v) },
        }).ToList());
}

/// <summary>What one trained value of a sweep measures.</summary>
/// <param name="Value">the swept parameter's value</param>
/// <param name="Run">the run's directory</param>
/// <param name="Epochs">epoch of the measured (last) checkpoint</param>
/// <param name="TrainSeconds">training time summed over metrics.jsonl, in seconds; NaN without that file</param>
/// <param name="Top1">validation top-1 accuracy, in [0, 1]</param>
/// <param name="CodedBlockIndices">indices of the coded blocks, one per <paramref name="EarlyDecoderAccuracy"/> entry</param>
/// <param name="EarlyDecoderAccuracy">validation accuracy of each coded block as an early decoder, in block order</param>
/// <param name="MeanBinaryF1">mean F1 of the binary classifiers on the validation set with in-distribution negatives</param>
public sealed record SweepPoint(
    double Value,
    string Run,
    int Epochs,
    double TrainSeconds,
    double Top1,
    IReadOnlyList<int> CodedBlockIndices,
    IReadOnlyList<double> EarlyDecoderAccuracy,
    double MeanBinaryF1)
{
    /// <summary>Accuracy of the last coded block's early decoder (NaN without coded blocks).</summary>
    public double LastEarlyDecoderAccuracy => EarlyDecoderAccuracy.Count == 0 ? double.NaN : EarlyDecoderAccuracy[^1];
}

/// <summary>A whole sweep, as sweep.json holds it.</summary>
/// <param name="Parameter">the swept parameter as the CLI spells it (<see cref="Sweep.Name"/>)</param>
/// <param name="Points">one per value, in the plan's order</param>
public sealed record SweepResult(string Parameter, IReadOnlyList<SweepPoint> Points);

/// <summary>
/// Ablations (docs/method.md#what-a-trained-network-gives-you; the paper's Fig. 5 for mu, Fig. 6 for p_drop, Section 3 for the loss exponent): trains one network per
/// value — reusing a finished run and resuming an unfinished one — measures each with a cheap analysis, and writes
/// sweep.json, a markdown table sweep.md and a plot sweep.png.
/// </summary>
public static class Sweep
{
    /// <summary>The names of the files <see cref="Write"/> puts in the sweep's directory: results, markdown table, plot.</summary>
    public const string JsonFile = "sweep.json", MarkdownFile = "sweep.md", PlotFile = "sweep.png";

    /// <summary>
    /// Enough to compare the values: no specialization test and no example paths, thresholds fitted on 2000
    /// training images, no OOD negatives.
    /// </summary>
    public static AnalysisOptions CheapAnalysis(int seed) => new() { Specialization = false, ExamplePaths = 0, ThresholdSamples = 2000, Seed = seed };

    /// <summary>The parameter as the CLI spells it: mu, p-drop, loss-exponent.</summary>
    public static string Name(SweepParameter parameter) => parameter switch
    {
        SweepParameter.Mu => "mu",
        SweepParameter.PDrop => "p-drop",
        _ => "loss-exponent",
    };

    /// <summary>Reads a CLI parameter name, case-insensitive (p_drop, pdrop and loss_exponent also accepted); anything else is an <see cref="InvalidInputException"/>.</summary>
    public static SweepParameter ParseParameter(string text) => text.Trim().ToLowerInvariant() switch
    {
        "mu" => SweepParameter.Mu,
        "p-drop" or "p_drop" or "pdrop" => SweepParameter.PDrop,
        "loss-exponent" or "loss_exponent" => SweepParameter.LossExponent,
        _ => throw InvalidInputException.ForOption(nameof(SweepPlan.Parameter), $"'{text}' is not a sweepable parameter; expected mu, p-drop or loss-exponent"),
    };

    /// <summary>Comma-separated numbers (invariant culture), at least one, none twice.</summary>
    public static IReadOnlyList<double> ParseValues(string text)
    {
        var values = new List<double>();
        var items = text.Trim().Length == 0 ? [] : text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(i => i.Length == 0)) throw InvalidInputException.ForOption(nameof(SweepPlan.Values), $"'{text}' has an empty item; give values separated by commas (0,2,6)");
        foreach (string raw in items)
        {
            // The list is split at its commas: each value has a decimal point and no group separator.
            if (!double.TryParse(raw, NumberStyles.Float & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                throw InvalidInputException.ForOption(nameof(SweepPlan.Values), $"'{raw}' is not a number");
            if (values.Contains(value)) throw InvalidInputException.ForOption(nameof(SweepPlan.Values), $"{raw} is listed twice");
            values.Add(value);
        }
        return values.Count > 0 ? values : throw InvalidInputException.ForOption(nameof(SweepPlan.Values), "give at least one value, e.g. 0,2,6");
    }

    /// <summary>
    /// Trains (or reuses, or resumes) and measures every value of the plan in order, through the experiment loop
    /// (<see cref="Experiment.RunEach"/> of <see cref="SweepPlan.ToExperiment"/>), then writes the sweep's files.
    /// </summary>
    /// <param name="train">trains a run on <paramref name="data"/> to its last epoch, in the setup's run folder, resuming from
    /// its last checkpoint when the setup says so (<see cref="CodedResNeXtModel.Train(TrainingData, TrainingOptions, TrainingSetup?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// it may stop early when interrupted, which ends the sweep with <see cref="OperationCanceledException"/></param>
    /// <param name="status">one line per step ("mu=6: training", "mu=6: finished run reused")</param>
    /// <param name="plan">the values and the shared training options; the control network cannot be swept</param>
    /// <param name="data">the run's data, shared by every value</param>
    /// <param name="analysis">how each finished run is measured, usually <see cref="CheapAnalysis"/></param>
    /// <param name="progress">images done of each analysis pass</param>
    /// <param name="cancel">stops the sweep before the next value or inside an analysis</param>
    public static SweepResult Run(SweepPlan plan, TrainingData data, Action<TrainingOptions, TrainingSetup> train,
        AnalysisOptions analysis, IProgress<AnalysisProgress>? progress = null, Action<string>? status = null, CancellationToken cancel = default)
    {
        if (plan.Options.Control)
            throw InvalidInputException.ForOption(nameof(TrainingOptions.Control), $"the control has no coded block, so {plan.ParameterName} changes nothing; sweep the coded network");
        plan.Options.Validate();
        var experiment = plan.ToExperiment();
        var points = new List<SweepPoint>();
        var value = experiment.Runs.Zip(plan.Values).ToDictionary(x => x.First.Name, x => x.Second);
        var stopped = Experiment.RunEach(experiment, new ExperimentSteps
        {
            Train = (run, setup) =>
            {
                train(run.Recipe!.Options, setup);
                return true;
            },
            AnalyzeAndRecord = run =>
            {
                points.Add(Measure(value[run.Name], experiment.RunDirectory(run), data, analysis, progress, cancel));
                return true;
            },
            Progress = e => status?.Invoke(e.Stage switch
            {
                ExperimentStage.Reused => $"{e.Run.Name}: finished run reused ({e.Folder})",
                ExperimentStage.Training => $"{e.Run.Name}: training {e.Epochs} epochs into {e.Folder}",
                ExperimentStage.Resuming => $"{e.Run.Name}: resuming after epoch {e.EpochsDone}",
                _ => $"{e.Run.Name}: analyzing",
            }),
        }, cancel: cancel);
        if (stopped is not null) throw new OperationCanceledException($"{stopped.Name}: training stopped before its last epoch");
        var result = new SweepResult(plan.ParameterName, points);
        Write(result, plan.Directory);
        return result;
    }

    /// <summary>Top-1, every early decoder and the mean binary-classifier F1 of a finished run's last checkpoint.</summary>
    /// <param name="value">the swept parameter's value in the run</param>
    /// <param name="runDirectory">the run's folder (its last.ckpt and metrics.jsonl)</param>
    /// <param name="data">the data it was trained on</param>
    /// <param name="analysis">how it is measured</param>
    /// <param name="progress">images done of each analysis pass</param>
    /// <param name="cancel">stops the analysis</param>
    internal static SweepPoint Measure(double value, string runDirectory, TrainingData data, AnalysisOptions analysis,
        IProgress<AnalysisProgress>? progress = null, CancellationToken cancel = default)
    {
        string last = Path.Combine(runDirectory, "last.ckpt");
        using var model = CodedResNeXtModel.Load(last);
        var results = NetworkAnalysis.Run(model.Network, model.Metadata, last, data, null, analysis, progress, cancel);
        string metrics = Path.Combine(runDirectory, "metrics.jsonl");
        double seconds = File.Exists(metrics) ? MetricsLog.Read(metrics).Sum(m => m.Seconds) : double.NaN;
        return new SweepPoint(value, runDirectory, model.EpochsTrained, seconds, results.EarlyDecoding.Top1,
            results.EarlyDecoding.CodedBlockIndices, results.EarlyDecoding.Accuracy,
            results.BinaryClassifiers.Count == 0 ? double.NaN : results.BinaryClassifiers.Average(b => b.InDistribution.F1));
    }

    /// <summary>Writes sweep.json, sweep.md and sweep.png into <paramref name="directory"/>.</summary>
    public static void Write(SweepResult result, string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        OutputFile.WriteText(Path.Combine(directory, JsonFile), JsonSerializer.Serialize(result, AnalysisResultsFile.Json));
        OutputFile.WriteText(Path.Combine(directory, MarkdownFile), Markdown(result));
        Plot(result, Path.Combine(directory, PlotFile));
    }

    /// <summary>A markdown table: one row per value; top-1, each early decoder, mean binary F1, epochs, training time.</summary>
    public static string Markdown(SweepResult result)
    {
        var blocks = result.Points.SelectMany(p => p.CodedBlockIndices).Distinct().Order().ToList();
        var text = new StringBuilder();
        text.AppendLine($"| {result.Parameter} | top-1 | {string.Concat(blocks.Select(b => $"early decoder, block {b} | "))}mean binary F1 | epochs | training |");
        text.AppendLine($"|---:|---:|{string.Concat(blocks.Select(_ => "---:|"))}---:|---:|---:|");
        foreach (var p in result.Points.OrderBy(p => p.Value))
        {
            var early = blocks.Select(b =>
            {
                int at = p.CodedBlockIndices.ToList().IndexOf(b);
                return at < 0 ? "—" : Percent(p.EarlyDecoderAccuracy[at]);
            });
            string minutes = double.IsNaN(p.TrainSeconds) ? "—" : $"{p.TrainSeconds / 60:F1} min";
            text.AppendLine($"| {p.Value.ToString(CultureInfo.InvariantCulture)} | {Percent(p.Top1)} | {string.Concat(early.Select(e => e + " | "))}" +
                            $"{(double.IsNaN(p.MeanBinaryF1) ? "—" : p.MeanBinaryF1.ToString("F3", CultureInfo.InvariantCulture))} | {p.Epochs} | {minutes} |");
        }
        return text.ToString();
    }

    /// <summary>x = the value; lines: top-1, the last coded block's early-decoder accuracy, the mean binary F1.</summary>
    public static void Plot(SweepResult result, string path)
    {
        var points = result.Points.OrderBy(p => p.Value).ToList();
        double[] x = points.Select(p => p.Value).ToArray();
        using var plot = new ScottPlot.Plot();
        var lines = new (string Label, double[] Y, Color Color)[]
        {
            ("top-1", points.Select(p => p.Top1).ToArray(), Color.FromHex("#1f77b4")),
            ("early decoder, last coded block", points.Select(p => p.LastEarlyDecoderAccuracy).ToArray(), Color.FromHex("#ff7f0e")),
            ("mean binary-classifier F1", points.Select(p => p.MeanBinaryF1).ToArray(), Color.FromHex("#2ca02c")),
        };
        foreach (var (label, y, color) in lines)
        {
            if (y.All(double.IsNaN)) continue;
            var line = plot.Add.Scatter(x, y, color);
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }
        plot.Title($"Sweep over {result.Parameter}");
        plot.XLabel(result.Parameter);
        plot.YLabel("validation");
        plot.ShowLegend(Alignment.LowerLeft);
        OutputFile.WriteBytes(path, plot.GetImageBytes(720, 440, ImageFormat.Png));
    }

    private static string Percent(double value) => double.IsNaN(value) ? "—" : (100 * value).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
