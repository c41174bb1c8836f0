using CodedResNeXt.ModelFiles;
using Crx.Display;
using CodedResNeXt.Model;
using TorchSharp;
using System.CommandLine;
using System.Diagnostics;
using CodedResNeXt;
using CodedResNeXt.Analysis;
using CodedResNeXt.Data;
using CodedResNeXt.Training;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx analyze`: everything docs/method.md#what-a-trained-network-gives-you asks of a trained network — early decoders, the specialization test,
/// binary classifiers (in- and out-of-distribution), energy profiles, example paths — written to OUT/results.json
/// and drawn in OUT/index.html.
/// </summary>
internal static class AnalyzeVerb
{
    /// <summary>What an `analyze` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Checkpoint, string? DataDir, string? OodDataset, string? OodDataDir, int? Block, string Classes, int ThresholdSamples, int Seed, int Batch, int Threads, string Out, string Device, long MaxImagePixels);

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file (runs/NAME/best.ckpt or last.ckpt)", Required = true };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the dataset the network was trained on [the dataset's default]" };
        var oodDataset = new Option<string?>("--ood-dataset") { Description = "Dataset whose validation images are out-of-distribution negatives (same image shape) [held-out classes, if any]" };
        var oodDataDir = new Option<string?>("--ood-data-dir") { Description = "Folder of --ood-dataset [its default]" };
        var block = new Option<int?>("--block") { Description = "Coded block of the specialization test [CIFAR-style: last block of the first coded stage; imagenet: second block of c5]" };
        var classes = new Option<string>("--classes") { Description = "Binary classifiers for these classes (indices or names, comma-separated), or all [all; 20 sampled for 100+ classes]", DefaultValueFactory = _ => "all" };
        var thresholdSamples = new Option<int>("--threshold-samples") { Description = "Training images (a seeded random subset) whose outputs fit the thresholds", DefaultValueFactory = _ => 10000 };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice (subsets, removed subNNs, examples)", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string>("--out") { Description = "Report folder: results.json and index.html", DefaultValueFactory = _ => "report" };
        var device = Crx.Cli.DeviceOption.Create();
        var maxPixels = Crx.Cli.ImageLimitOption.Create();
        var command = new Command("analyze", "Take a trained network apart: early decoders, specialization, binary classifiers, energy profiles, example paths.")
        {
            checkpoint, dataDir, oodDataset, oodDataDir, block, classes, thresholdSamples, seed, batch, threads, output, device, maxPixels,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(checkpoint)!, p.GetValue(dataDir), p.GetValue(oodDataset), p.GetValue(oodDataDir), p.GetValue(block), p.GetValue(classes)!, p.GetValue(thresholdSamples), p.GetValue(seed), p.GetValue(batch), p.GetValue(threads), p.GetValue(output)!, p.GetValue(device)!, p.GetValue(maxPixels))));
        return command;
    }

    private static int Run(Arguments a)
    {
        string path = a.Checkpoint;
        string? oodName = a.OodDataset;
        if (oodName is null && a.OodDataDir is not null)
            throw new InvalidInputException("--ood-data-dir: say which dataset it holds with --ood-dataset");
        CodedResNeXt.Runtime.ProcessSettings.RequireThreads(a.Threads);
        int threadCount = a.Threads;
        string outDir = a.Out;
        Crx.Cli.OutputPaths.RequireWritableFolder(outDir, "--out");
        var where = Crx.Cli.DeviceOption.Resolve(a.Device);
        using var model = CodedResNeXtModel.Load(path, where);
        var data = model.LoadData(new DatasetOptions { DataDir = a.DataDir, MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(a.MaxImagePixels) });
        string classText = a.Classes;
        var options = new AnalysisOptions
        {
            Block = a.Block,
            Classes = classText.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? null : ClassList.Parse(classText, model.ClassNames, "--classes"),
            ThresholdSamples = a.ThresholdSamples,
            Seed = a.Seed,
            BatchSize = a.Batch,
        };
        options.Validate();
        var ood = OodNegatives.Resolve(oodName, new DatasetOptions { DataDir = a.OodDataDir, MaxImagePixels = a.MaxImagePixels }, data);
        CodedResNeXt.Runtime.ProcessSettings.Apply(threadCount);

        Console.WriteLine($"analyzing {DisplayText.Safe(model.Architecture.Name)} ({DisplayText.Safe(path)}) on {where}, {model.Metadata.Dataset}: {data.Validation.Count} validation images, " +
                          $"thresholds from {Math.Min(options.ThresholdSamples, data.Train.Count)} training images" +
                          (ood is null ? "" : $", OOD negatives: {ood.Source} ({ood.Images.Count} images)"));
        var clock = Stopwatch.StartNew();
        var results = WithProgress((progress, cancel) => NetworkAnalysis.Run(model, data, ood, options, progress, cancel));
        string json = results.Save(outDir);
        CodedResNeXt.Report.ReportWriter.Write(results, outDir);
        Print(results);
        Console.WriteLine($"analyzed in {clock.Elapsed.TotalSeconds:F0} s; written: {json}");
        return 0;
    }

    /// <summary>
    /// Runs an analysis with a progress bar per pass (a line per finished pass when stdout is not a terminal).
    /// SIGINT or SIGTERM cancels it.
    /// </summary>
    internal static T WithProgress<T>(Func<IProgress<AnalysisProgress>, CancellationToken, T> analysis)
    {
        using var interruption = new Crx.Cli.Interruption();
        {
            // A file or pipe gets a line per finished pass, not the bars: a bar redrawn in place is noise in a log.
            if (Console.IsOutputRedirected)
                return analysis(PassLines(), interruption.Token);
            return AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    return analysis(new Reporter(p =>
                    {
                        if (!tasks.TryGetValue(p.Pass, out var task))
                            tasks[p.Pass] = task = ctx.AddTask(DisplayText.Markup($"{p.Pass} ({p.Total} images)"), maxValue: Math.Max(p.Total, 1));
                        task.Value = p.Total == 0 ? 1 : p.Done;
                    }), interruption.Token);
                });
        }
    }

    /// <summary>A line per finished pass, with its duration.</summary>
    internal static IProgress<AnalysisProgress> PassLines()
    {
        var clock = Stopwatch.StartNew();
        return new Reporter(p =>
        {
            if (p.Done == 0) clock.Restart();
            if (p.Done == p.Total) Console.WriteLine($"  {p.Pass}: {p.Total} images in {clock.Elapsed.TotalSeconds:F0} s");
        });
    }

    /// <summary>Reports on the analysis' own thread, synchronously (System.Progress would post to the thread pool).</summary>
    private sealed class Reporter(Action<AnalysisProgress> report) : IProgress<AnalysisProgress>
    {
        public void Report(AnalysisProgress value) => report(value);
    }

    private static void Print(AnalysisResults r)
    {
        AnsiConsole.MarkupLine($"top-1 [bold]{r.EarlyDecoding.Top1:P2}[/]");
        if (r.EarlyDecoding.CodedBlockIndices.Count > 0)
        {
            var early = new Table().Title("Early decoders").AddColumns("coded block", "accuracy", "agrees with final");
            for (int b = 0; b < r.EarlyDecoding.CodedBlockIndices.Count; b++)
                early.AddRow(r.EarlyDecoding.CodedBlockIndices[b].ToString(), r.EarlyDecoding.Accuracy[b].ToString("P2"), r.EarlyDecoding.AgreementWithFinal[b].ToString("P1"));
            AnsiConsole.Write(early);
        }
        if (r.Specialization is { } s)
        {
            var table = new Table().Title($"Specialization: block {s.BlockIndex} ({DisplayText.Markup(s.Scheme)}), baseline {s.Baseline:P2}")
                .AddColumns("subNNs removed", "active removed", "inactive removed");
            for (int j = 1; j <= Math.Max(s.ActiveRemoved.Count, s.InactiveRemoved.Count); j++)
                table.AddRow(j.ToString(),
                    j <= s.ActiveRemoved.Count ? s.ActiveRemoved[j - 1].ToString("P2") : "",
                    j <= s.InactiveRemoved.Count ? s.InactiveRemoved[j - 1].ToString("P2") : "");
            AnsiConsole.Write(table);
        }
        if (r.BinaryClassifiers.Count > 0)
        {
            bool ood = r.OodSource is not null;
            var table = new Table().Title("Binary classifiers (threshold maximizing F1 on training outputs)")
                .AddColumns("class", "parameters", "threshold", "train F1", "precision", "recall");
            if (ood) table.AddColumns("OOD precision", "OOD recall");
            foreach (var b in r.BinaryClassifiers)
            {
                var cells = new List<string>
                {
                    $"{b.Class} {DisplayText.Markup(b.ClassName)}", $"{b.Parameters / 1e6:F3} M ({b.ParameterFraction:P1})", b.Threshold.ToString("G4"),
                    b.TrainF1.ToString("F3"), b.InDistribution.Precision.ToString("P1"), b.InDistribution.Recall.ToString("P1"),
                };
                if (ood) cells.AddRange([b.OutOfDistribution!.Precision.ToString("P1"), b.OutOfDistribution.Recall.ToString("P1")]);
                table.AddRow(cells.ToArray());
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"mean validation F1 {r.BinaryClassifiers.Average(b => b.InDistribution.F1):F3}" +
                                   (ood ? $", with OOD negatives ({DisplayText.Markup(r.OodSource!)}) {r.BinaryClassifiers.Average(b => b.OutOfDistribution!.F1):F3}" : ""));
        }
        foreach (string note in r.Settings?.Notes ?? []) AnsiConsole.MarkupLine($"[grey]note: {DisplayText.Markup(note)}[/]");
    }
}
