using CodedResNeXt.ModelFiles;
using CodedResNeXt.Analysis;
using CodedResNeXt.Training;

namespace CodedResNeXt.Experiments;

/// <summary>
/// Runs an experiment file: for every run not yet in the results file, trains it (resuming a stopped run), analyzes its
/// last checkpoint, and records its figures in the results file at once, so that a stopped experiment loses at most the
/// run under way and continues, on this machine or another, from the results file.
/// </summary>
public static class Experiment
{
    /// <summary>What the experiment does next with a run.</summary>
    public enum Step
    {
        /// <summary>Already recorded with the same train command.</summary>
        Skip,
        /// <summary>No checkpoint yet: train it.</summary>
        Train,
        /// <summary>A stopped run: resume it.</summary>
        Resume,
        /// <summary>A finished run not yet recorded: analyze it.</summary>
        Analyze,
    }

    /// <summary>
    /// Runs the plan's pending runs in order.
    /// </summary>
    /// <param name="plan">the experiment file's plan; its results file says which runs are done</param>
    /// <param name="train">runs `crx train` with these arguments (the plan's, or the run folder's resume); false stops the experiment</param>
    /// <param name="analyze">runs `crx analyze` with these arguments; false stops the experiment</param>
    /// <param name="recorded">called with the results after each run is recorded (e.g. to regenerate the report)</param>
    /// <param name="status">one line per step ("NAME: training into FOLDER", "NAME: analyzing", "NAME: top-1 …, recorded in …")</param>
    /// <param name="maxRuns">stop after recording this many runs (null: all)</param>
    /// <param name="cancel">stops before the next run with <see cref="OperationCanceledException"/>; a run under way is left to <paramref name="train"/> and <paramref name="analyze"/></param>
    /// <returns>the results as they stand when it stops</returns>
    public static ExperimentResults Run(ExperimentPlan plan, Func<IReadOnlyList<string>, bool> train, Func<IReadOnlyList<string>, bool> analyze,
        Action<ExperimentResults, RunFigures>? recorded = null, Action<string>? status = null, int? maxRuns = null, CancellationToken cancel = default)
    {
        var results = ExperimentResults.LoadOrEmpty(plan.Results, plan.Name);
        int done = 0;
        foreach (var run in plan.Runs)
        {
            cancel.ThrowIfCancellationRequested();
            if (maxRuns is { } most && done >= most) break;
            var step = NextStep(plan, run, results);
            if (step == Step.Skip)
            {
                status?.Invoke($"{run.Name}: recorded in {plan.Results}; skipped");
                continue;
            }
            string folder = plan.RunDirectory(run);
            if (step is Step.Train or Step.Resume)
            {
                status?.Invoke(step == Step.Train ? $"{run.Name}: training into {folder}" : $"{run.Name}: resuming the stopped run in {folder}");
                var arguments = step == Step.Train ? plan.TrainArguments(run) : ["--out", folder, "--resume"];
                if (!train(arguments) || NextStep(plan, run, results) != Step.Analyze) return results;
            }
            status?.Invoke($"{run.Name}: analyzing");
            if (!analyze(plan.AnalyzeArguments(run))) return results;
            var figures = Measure(plan, run);
            results = results.With(figures).InOrderOf(plan); // a run recorded again (e.g. re-analyzed) keeps its place
            results.Save(plan.Results);
            status?.Invoke($"{run.Name}: top-1 {figures.Top1:P2}, recorded in {plan.Results}");
            recorded?.Invoke(results, figures);
            done++;
        }
        return results;
    }

    /// <summary>
    /// Skip when the results hold the run with the same train command; Analyze when its folder holds a finished run;
    /// Resume when it holds a stopped one; else Train.
    /// </summary>
    public static Step NextStep(ExperimentPlan plan, ExperimentRun run, ExperimentResults results)
    {
        if (results.Runs.Any(r => r.Name == run.Name && r.TrainCommand == Command("train", plan.TrainArguments(run)))) return Step.Skip;
        string last = Path.Combine(plan.RunDirectory(run), "last.ckpt");
        if (!File.Exists(last)) return Step.Train;
        var info = Checkpoint.ReadInfo(last);
        return info.State.Epoch >= info.Options.Epochs && info.State.StepInEpoch == 0 ? Step.Analyze : Step.Resume;
    }

    /// <summary>A finished, analyzed run's figures from its folder.</summary>
    public static RunFigures Measure(ExperimentPlan plan, ExperimentRun run)
    {
        string folder = plan.RunDirectory(run);
        var info = Checkpoint.ReadInfo(Path.Combine(folder, "last.ckpt"));
        var analysis = AnalysisResultsFile.Load(Path.Combine(folder, "report", AnalysisResultsFile.FileName));
        var epochs = MetricsLog.Read(Path.Combine(folder, "metrics.jsonl"));
        int trainImages = analysis.Settings?.TrainingImages ?? 0;
        return RunFigures.From(run, Command("train", plan.TrainArguments(run)), Command("analyze", plan.AnalyzeArguments(run)), info.Model,
            trainImages, epochs, analysis, analysis.ValidationPerClass ?? [], DateTimeOffset.UtcNow, Runtime.Machine.Describe());
    }

    /// <summary>The command line as a user types it: "crx VERB flag value …", arguments with spaces or quotes quoted.</summary>
    public static string Command(string verb, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { "crx", verb }.Concat(arguments.Select(Quote)));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";
}
