using CodedResNeXt.Training;
using Crx.Cli;
using Spectre.Console;

namespace Crx.Display;

/// <summary>
/// Runs a trainer with a live progress bar per epoch (throughput, loss, coding loss, running accuracy) and a
/// one-line summary per epoch. When stdout is not a terminal only the summaries are printed. SIGINT (Ctrl+C) or
/// SIGTERM stops after the current step and ends the command with <see cref="InterruptedException"/>; the last
/// finished epoch's checkpoint stays for --resume.
/// </summary>
internal static class TrainingConsole
{
    public static TrainingResult Train(TrainingRun run, bool resume, string label)
    {
        // The CLI owns its process: libtorch's threads and glibc's heap policy are set for it here, not by the trainer.
        CodedResNeXt.Runtime.ProcessSettings.Apply(run.Options.Threads);
        using var interruption = new Interruption();
        var cancel = interruption.Token;
        {
            var trainer = new Trainer(run);
            TrainingResult result;
            if (Console.IsOutputRedirected)
                result = trainer.Run(resume, null, m => Console.WriteLine(Summary(label, run, m)), cancel);
            else
                result = AnsiConsole.Progress()
                    // Rendered from the training thread between steps, never from a refresh thread of its own: see
                    // CollectionPause (Data/Loading) for why nothing may start a collection during TorchSharp's native calls.
                    .AutoRefresh(false)
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                             new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        ProgressTask? task = null;
                        var progress = new Progress(p =>
                        {
                            if (task is null || task.IsFinished)
                                task = ctx.AddTask("", maxValue: p.StepsPerEpoch);
                            task.Value = p.Step;
                            task.Description = DisplayText.Markup(
                                $"{label} epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F3}  coding {p.CodingLoss:F4}  " +
                                $"acc {p.Accuracy:P1}  {p.ImagesPerSecond:F0} img/s  lr {p.LearningRate:G3}");
                            ctx.Refresh();
                        });
                        return trainer.Run(resume, progress, m =>
                        {
                            task?.StopTask();
                            ctx.Refresh();
                            AnsiConsole.WriteLine(Summary(label, run, m));
                        }, cancel);
                    });
            bool finished = result.History.Count > 0 && result.History[^1].Epoch >= run.Options.Epochs;
            if (interruption.Requested && !finished)
            {
                result.Dispose();
                throw new InterruptedException(File.Exists(run.LastCheckpointPath)
                    ? $"{run.LastCheckpointPath} holds the last finished epoch; continue with crx train --out {run.Directory} --resume"
                    : "stopped during the first epoch, nothing was saved");
            }
            return result;
        }
    }

    public static string Summary(string label, TrainingRun run, EpochMetrics m)
    {
        string early = m.EarlyDecoderAccuracy.Count == 0 ? "" :
            "  early decoders " + string.Join(" ", m.EarlyDecoderAccuracy.Select(a => a.ToString("P1")));
        return $"{label} epoch {m.Epoch}/{run.Options.Epochs}: loss {m.TrainLoss:F4} (coding {m.TrainCodingLoss:F4})  " +
               $"train {m.TrainAccuracy:P2}  val top-1 {m.ValidationTop1:P2}{(m.ValidationTop5 is { } top5 ? $"  top-5 {top5:P2}" : "")}{early}  {m.ImagesPerSecond:F0} img/s  {m.Seconds:F0} s";
    }

    /// <summary>Reports on the thread that raised it (Spectre's progress context is thread-safe).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
