using System.Diagnostics;
using CodedResNeXt;
using CodedResNeXt.Training;
using Crx.Cli;
using Spectre.Console;

namespace Crx.Display;

/// <summary>
/// Runs a trainer for a verb and shows it. Both displays print the same lines: a summary per epoch, a progress line
/// whenever 30 seconds have passed without a line (so a long epoch, or a run shorter than one, still says what it is
/// doing), and a line where the run stops early. A terminal also gets a live progress bar between those lines; a
/// redirected output (a pipe, a log file, CI) does not, since a bar redrawn in place is noise in a file.
/// SIGINT (Ctrl+C) or SIGTERM lets the step in flight finish, saves it to last.ckpt (resumable exactly) and ends the
/// command with <see cref="InterruptedException"/>, whose message says where the run stands and how to continue.
/// </summary>
internal static class TrainingConsole
{
    /// <summary>The longest a run goes without printing a line.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(30);

    /// <param name="data">the run's images</param>
    /// <param name="options">the run's options</param>
    /// <param name="setup">its folder (required) and device</param>
    /// <param name="label">what the lines call the run ("coded", "control", a sweep point)</param>
    /// <param name="continueWith">the command that continues a stopped run (null: crx train --out FOLDER --resume)</param>
    public static CodedResNeXtModel Train(TrainingData data, TrainingOptions options, TrainingSetup setup, string label, string? continueWith = null)
    {
        string directory = setup.RunDirectory ?? throw new ArgumentException("the CLI trains into a run folder", nameof(setup));
        using var interruption = new Interruption();
        var lines = new ProgressLines(label, options.Epochs);
        // The CLI owns its process: libtorch's threads and glibc's heap policy are set for it.
        setup = setup with { ApplyProcessSettings = true };
        var model = Console.IsOutputRedirected
            ? CodedResNeXtModel.Train(data, options, setup with { EpochDone = m => lines.Epoch(m, Console.WriteLine) },
                new Progress(p => lines.Progress(p, Console.WriteLine)), interruption.Token)
            : WithProgressBar(data, options, setup, label, lines, interruption.Token);
        if (model.StoppedAtStep is not null && lines.StopLine() is { } stop) Console.WriteLine(stop);
        if (model.Cancelled)
        {
            model.Dispose();
            throw new InterruptedException(Where(directory, options.Epochs, continueWith ?? $"crx train --out {directory} --resume"));
        }
        return model;
    }

    /// <summary>Where a stopped run stands and how to continue it, read from the checkpoint it left.</summary>
    private static string Where(string directory, int epochs, string continueWith)
    {
        string last = Path.Combine(directory, "last.ckpt");
        if (!File.Exists(last)) return "stopped before its first step finished; nothing was saved";
        var state = CodedResNeXtModel.Inspect(last);
        string position = state.StepInEpoch > 0
            ? $"epoch {state.Epoch + 1}/{epochs} at step {state.StepInEpoch}"
            : $"the end of epoch {state.Epoch}/{epochs}";
        return $"{last} holds {position}; continue with {continueWith}";
    }

    private static CodedResNeXtModel WithProgressBar(TrainingData data, TrainingOptions options, TrainingSetup setup, string label,
        ProgressLines lines, CancellationToken cancel) =>
        AnsiConsole.Progress()
            // Rendered from the training thread between steps, never from a refresh thread of its own: see
            // CollectionPause (Data/Loading) for why nothing may start a collection during TorchSharp's native calls.
            .AutoRefresh(false)
            .AutoClear(true)
            .HideCompleted(true) // one bar, the epoch's: a finished epoch is its summary line
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = BarWidth }, new PercentageColumn(),
                     new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                var progress = new Progress(p =>
                {
                    string description = DisplayText.Markup(BarDescription(label, p, AnsiConsole.Profile.Width));
                    if (task is null || task.IsFinished) task = ctx.AddTask(description, maxValue: p.StepsPerEpoch);
                    task.Value = p.Step;
                    task.Description = description;
                    lines.Progress(p, AnsiConsole.WriteLine);
                    ctx.Refresh();
                });
                return CodedResNeXtModel.Train(data, options, setup with
                {
                    EpochDone = m =>
                    {
                        task?.StopTask();
                        lines.Epoch(m, AnsiConsole.WriteLine);
                        ctx.Refresh();
                    },
                }, progress, cancel);
            });

    private const int BarWidth = 20;

    /// <summary>
    /// The text beside the bar, cut to what a terminal <paramref name="width"/> columns wide leaves it: Spectre.Console
    /// squeezes the other columns instead, and in an 80-column terminal the time columns came out one character a row.
    /// The full figures still reach the screen in the progress lines.
    /// </summary>
    public static string BarDescription(string label, TrainingProgress p, int width)
    {
        int room = width - BarWidth - 4 - 9 - 4; // the bar, "100%", "-:--:--" and the columns' gaps
        string full = ProgressLines.Describe(label, p);
        if (full.Length <= room) return full;
        string compact = $"{label} {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsPerEpoch} loss {p.Loss:F3}";
        return compact.Length <= room ? compact : compact[..Math.Max(1, room)];
    }

    public static string Summary(string label, int epochs, EpochMetrics m)
    {
        string early = m.EarlyDecoderAccuracy.Count == 0 ? "" :
            "  early decoders " + string.Join(" ", m.EarlyDecoderAccuracy.Select(a => a.ToString("P1")));
        return $"{label} epoch {m.Epoch}/{epochs}: loss {m.TrainLoss:F4} (coding {m.TrainCodingLoss:F4})  " +
               $"train {m.TrainAccuracy:P2}  val top-1 {m.ValidationTop1:P2}{(m.ValidationTop5 is { } top5 ? $"  top-5 {top5:P2}" : "")}{early}  {m.ImagesPerSecond:F0} img/s  {m.Seconds:F0} s";
    }

    /// <summary>
    /// The lines both displays print: epoch summaries, a progress line when <see cref="LineInterval"/> has passed since
    /// the last line, and the last progress seen when the run stops early.
    /// </summary>
    private sealed class ProgressLines(string label, int epochs)
    {
        private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
        private TrainingProgress? _last;
        private bool _lastPrinted;

        public static string Describe(string label, TrainingProgress p) =>
            $"{label} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsPerEpoch}: loss {p.Loss:F4} (coding {p.CodingLoss:F4})  " +
            $"train {p.Accuracy:P1}  {p.ImagesPerSecond:F0} img/s  lr {p.LearningRate:G3}";

        public void Progress(TrainingProgress p, Action<string> print)
        {
            _last = p;
            _lastPrinted = false;
            if (_sinceLine.Elapsed < LineInterval) return;
            Print(Describe(label, p), print);
            _lastPrinted = true;
        }

        public void Epoch(EpochMetrics m, Action<string> print)
        {
            _last = null;
            Print(Summary(label, epochs, m), print);
        }

        /// <summary>The run stopped before its last epoch: where, unless that line was just printed.</summary>
        public string? StopLine() => _last is { } p && !_lastPrinted ? Describe(label, p) : null;

        private void Print(string line, Action<string> print)
        {
            print(line);
            _sinceLine.Restart();
        }
    }

    /// <summary>Reports on the thread that raised it (Spectre's progress context is thread-safe).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
