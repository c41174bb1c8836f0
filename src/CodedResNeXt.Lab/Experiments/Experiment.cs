using CodedResNeXt.Analysis;
using CodedResNeXt.Training;

namespace CodedResNeXt.Experiments;

/// <summary>What the experiment loop is doing with a run (<see cref="Experiment.RunEach"/>), for its caller to report.</summary>
internal enum ExperimentStage
{
    /// <summary>Already recorded: nothing to do.</summary>
    Skipped,
    /// <summary>No checkpoint yet: training it from the start.</summary>
    Training,
    /// <summary>A stopped run: resuming it from its last checkpoint.</summary>
    Resuming,
    /// <summary>A finished run not yet recorded: reused as it is.</summary>
    Reused,
    /// <summary>Finished: analyzing it.</summary>
    Analyzing,
}

/// <summary>One step of the experiment loop.</summary>
/// <param name="Run">the run</param>
/// <param name="Stage">what is being done with it</param>
/// <param name="Folder">its run folder</param>
/// <param name="EpochsDone">epochs its folder's last checkpoint had finished when the step began</param>
/// <param name="Epochs">epochs it trains in all</param>
internal sealed record ExperimentEvent(ExperimentRun Run, ExperimentStage Stage, string Folder, int EpochsDone, int Epochs);

/// <summary>What the experiment loop asks of its caller for each run (<see cref="Experiment.RunEach"/>).</summary>
internal sealed record ExperimentSteps
{
    /// <summary>Whether the run is already recorded, and skipped (default: never).</summary>
    public Func<ExperimentRun, bool> IsRecorded { get; init; } = _ => false;
    /// <summary>Trains the run into the setup's run folder, from the start or resuming (<see cref="TrainingSetup.Resume"/>); false stops the loop.</summary>
    public required Func<ExperimentRun, TrainingSetup, bool> Train { get; init; }
    /// <summary>Analyzes the finished run and records what it measured; false stops the loop.</summary>
    public required Func<ExperimentRun, bool> AnalyzeAndRecord { get; init; }
    /// <summary>Told of each step as it begins.</summary>
    public Action<ExperimentEvent>? Progress { get; init; }
}

/// <summary>
/// Runs an experiment file: for every run not yet in the results file, trains it (resuming a stopped run), analyzes its
/// last checkpoint, and records its figures in the results file at once, so that a stopped experiment loses at most the
/// run under way and continues, on this machine or another, from the results file. A sweep (<see cref="Analysis.Sweep"/>)
/// is an experiment of one seed through the same loop (<see cref="RunEach"/>).
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
    /// The one loop of experiments and sweeps: for each run in order, unless recorded, train it (or resume it, or reuse
    /// it when finished), then analyze and record it.
    /// </summary>
    /// <param name="plan">the runs and where their folders are</param>
    /// <param name="steps">how a run is trained, analyzed and recorded, and whether it already is</param>
    /// <param name="maxRuns">stop after recording this many runs (null: all)</param>
    /// <param name="cancel">stops before the next run with <see cref="OperationCanceledException"/></param>
    /// <returns>the run at which it stopped (its training did not finish, or a step said stop); null when it went through</returns>
    internal static ExperimentRun? RunEach(ExperimentPlan plan, ExperimentSteps steps, int? maxRuns = null, CancellationToken cancel = default)
    {
        int done = 0;
        foreach (var run in plan.Runs)
        {
            cancel.ThrowIfCancellationRequested();
            if (maxRuns is { } most && done >= most) break;
            string folder = plan.RunDirectory(run);
            if (steps.IsRecorded(run))
            {
                steps.Progress?.Invoke(new ExperimentEvent(run, ExperimentStage.Skipped, folder, 0, 0));
                continue;
            }
            var (step, epochsDone, epochs) = Where(plan, run);
            if (step == Step.Analyze) steps.Progress?.Invoke(new ExperimentEvent(run, ExperimentStage.Reused, folder, epochsDone, epochs));
            else
            {
                steps.Progress?.Invoke(new ExperimentEvent(run, step == Step.Train ? ExperimentStage.Training : ExperimentStage.Resuming, folder, epochsDone, epochs));
                if (!steps.Train(run, new TrainingSetup { RunDirectory = folder, Resume = step == Step.Resume }) || Where(plan, run).Step != Step.Analyze) return run;
            }
            steps.Progress?.Invoke(new ExperimentEvent(run, ExperimentStage.Analyzing, folder, epochs, epochs));
            if (!steps.AnalyzeAndRecord(run)) return run;
            done++;
        }
        return null;
    }

    /// <summary>
    /// Runs the plan's pending runs in order, recording each in its results file.
    /// </summary>
    /// <param name="plan">the experiment file's plan; its results file says which runs are done</param>
    /// <param name="train">trains the run into the setup's folder, or resumes it there (<see cref="TrainingSetup.Resume"/>); false stops the experiment</param>
    /// <param name="analyze">runs `crx analyze` with these arguments; false stops the experiment</param>
    /// <param name="recorded">called with the results after each run is recorded (e.g. to regenerate the report)</param>
    /// <param name="status">one line per step ("NAME: training into FOLDER", "NAME: analyzing", "NAME: top-1 …, recorded in …")</param>
    /// <param name="maxRuns">stop after recording this many runs (null: all)</param>
    /// <param name="cancel">stops before the next run with <see cref="OperationCanceledException"/>; a run under way is left to <paramref name="train"/> and <paramref name="analyze"/></param>
    /// <returns>the results as they stand when it stops</returns>
    public static ExperimentResults Run(ExperimentPlan plan, Func<ExperimentRun, TrainingSetup, bool> train, Func<IReadOnlyList<string>, bool> analyze,
        Action<ExperimentResults, RunFigures>? recorded = null, Action<string>? status = null, int? maxRuns = null, CancellationToken cancel = default)
    {
        var results = ExperimentResults.LoadOrEmpty(plan.Results, plan.Name);
        RunEach(plan, new ExperimentSteps
        {
            IsRecorded = run => IsRecorded(plan, run, results),
            Train = train,
            AnalyzeAndRecord = run =>
            {
                if (!analyze(plan.AnalyzeArguments(run))) return false;
                var figures = Measure(plan, run);
                results = results.With(figures).InOrderOf(plan); // a run recorded again (e.g. re-analyzed) keeps its place
                results.Save(plan.Results);
                status?.Invoke($"{run.Name}: top-1 {figures.Top1:P2}, recorded in {plan.Results}");
                recorded?.Invoke(results, figures);
                return true;
            },
            Progress = e => Report(status, e.Stage switch
            {
                ExperimentStage.Skipped => $"{e.Run.Name}: recorded in {plan.Results}; skipped",
                ExperimentStage.Training => $"{e.Run.Name}: training into {e.Folder}",
                ExperimentStage.Resuming => $"{e.Run.Name}: resuming the stopped run in {e.Folder}",
                ExperimentStage.Analyzing => $"{e.Run.Name}: analyzing",
                _ => null,
            }),
        }, maxRuns, cancel);
        return results;
    }

    // A null line is no line.
    private static void Report(Action<string>? status, string? line)
    {
        if (line is not null) status?.Invoke(line);
    }

    /// <summary>Whether the results hold the run with the same train command (a run recorded under another command is run again).</summary>
    public static bool IsRecorded(ExperimentPlan plan, ExperimentRun run, ExperimentResults results) =>
        results.Runs.Any(r => r.Name == run.Name && r.TrainCommand == Command("train", plan.TrainArguments(run)));

    /// <summary>
    /// Skip when the results hold the run with the same train command; Analyze when its folder holds a finished run;
    /// Resume when it holds a stopped one; else Train.
    /// </summary>
    public static Step NextStep(ExperimentPlan plan, ExperimentRun run, ExperimentResults results) =>
        IsRecorded(plan, run, results) ? Step.Skip : Where(plan, run).Step;

    /// <summary>
    /// Where a run's folder stands: no checkpoint (Train), a finished run (Analyze), a stopped one (Resume). A folder
    /// holding a run made with other options than a recipe's is an <see cref="InvalidInputException"/>, not something
    /// to overwrite or resume.
    /// </summary>
    private static (Step Step, int EpochsDone, int Epochs) Where(ExperimentPlan plan, ExperimentRun run)
    {
        string folder = plan.RunDirectory(run), last = Path.Combine(folder, "last.ckpt");
        int epochs = run.Recipe?.Options.Epochs ?? 0;
        if (!File.Exists(last)) return (Step.Train, 0, epochs);
        var info = CodedResNeXtModel.Inspect(last);
        if (run.Recipe is { } recipe && !info.Options.IsSameRunAs(recipe.Options))
            throw new InvalidInputException($"{folder} holds a run with other options; choose another folder or delete it");
        if (run.Recipe is null) epochs = info.Options.Epochs;
        return (info.State.Epoch >= epochs && info.State.StepInEpoch == 0 ? Step.Analyze : Step.Resume, info.State.Epoch, epochs);
    }

    /// <summary>A finished, analyzed run's figures from its folder.</summary>
    public static RunFigures Measure(ExperimentPlan plan, ExperimentRun run)
    {
        string folder = plan.RunDirectory(run);
        var info = CodedResNeXtModel.Inspect(Path.Combine(folder, "last.ckpt"));
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
