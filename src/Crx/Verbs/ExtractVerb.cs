using Crx.Display;
using Crx.Cli;
using CodedResNeXt.ModelFiles;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using CodedResNeXt;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx extract`: cuts the standalone binary classifier of one class (or the classifier of a class subset) out of a
/// checkpoint, fits its decision threshold on the training set and writes it to a file `crx predict` reads.
/// </summary>
internal static class ExtractVerb
{
    /// <summary>What a `extract` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Checkpoint, string? Class, string? Classes, string Out, string? DataDir, int? ThresholdSamples, int Seed, int Batch, bool Json, long MaxImagePixels);

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint to extract from (runs/NAME/best.ckpt or last.ckpt)", Required = true };
        var cls = new Option<string?>("--class") { Description = "The class of a binary classifier: index or name (case-insensitive)" };
        var classes = new Option<string?>("--classes") { Description = "Several classes (comma-separated indices or names): one classifier keeping all their paths" };
        var output = new Option<string>("--out") { Description = "File to write the extracted classifier to", Required = true };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the checkpoint's dataset, for the training images the thresholds are fitted on [the dataset's default]" };
        var samples = new Option<int?>("--threshold-samples") { Description = "Fit the thresholds on a seeded random subset of this many training images [all]" };
        var seed = new Option<int>("--seed") { Description = "Seed of the --threshold-samples subset", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Batch size for scoring the training images", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var maxPixels = Crx.Cli.ImageLimitOption.Create();
        var command = new Command("extract",
            "Extract the standalone binary classifier of a class (or of several classes) from a checkpoint: " +
            "only the class's paths through the coded blocks and its row of the classifier stay, and its decision " +
            "threshold is the one that maximizes F1 on the training set.")
        {
            checkpoint, cls, classes, output, dataDir, samples, seed, batch, json, maxPixels,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(checkpoint)!, p.GetValue(cls), p.GetValue(classes), p.GetValue(output)!, p.GetValue(dataDir), p.GetValue(samples), p.GetValue(seed), p.GetValue(batch), p.GetValue(json), p.GetValue(maxPixels))));
        return command;
    }

    private static int Run(Arguments a)
    {
        string path = a.Checkpoint;
        using var model = CodedResNeXtModel.Load(path);
        var source = model.Metadata;
        var (kept, flag) = (a.Class, a.Classes) switch
        {
            (null, null) => throw new InvalidInputException("--class: say which class to extract (or --classes A,B,...)"),
            ({ }, { }) => throw new InvalidInputException("--class and --classes: give one of them, not both"),
            ({ } one, null) => (ClassList.Parse(one, source.ClassNames, "--class"), "--class"),
            (null, { } several) => (ClassList.Parse(several, source.ClassNames, "--classes"), "--classes"),
        };
        CliErrors.Alias("Classes", flag);
        if (flag == "--class" && kept.Count != 1)
            throw new InvalidInputException($"--class: give exactly one class, not {kept.Count}; use --classes for several");

        string outPath = a.Out;
        if (Path.GetFullPath(outPath) == Path.GetFullPath(path))
            throw new InvalidInputException($"--out: {outPath} is the checkpoint itself; choose another file");
        Crx.Cli.OutputPaths.RequireWritableFile(outPath, "--out");

        var watch = Stopwatch.StartNew();
        var training = model.LoadTrainingSet(new DatasetOptions { DataDir = a.DataDir, MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(a.MaxImagePixels) });
        using var extracted = model.ExtractClassifier(kept, training, a.ThresholdSamples, a.Seed, a.Batch);
        extracted.Save(outPath);
        var info = extracted;
        // The paper's way of estimating a binary classifier's size, next to the exact count, for one class.
        var size = kept.Count == 1 ? model.BinaryClassifierSize(kept[0]) : null;

        if (a.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                Out = outPath,
                info.SourceCheckpoint,
                KeptClasses = info.KeptClasses,
                info.KeptClassNames,
                info.ParameterCount,
                info.FullParameterCount,
                info.ParameterFraction,
                PaperEstimateFraction = size?.EstimateFraction,
                info.ThresholdSamples,
                info.Thresholds,
            }, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(outPath)}[/]: classifier of {DisplayText.Markup(string.Join(", ", info.KeptClasses.Select((k, j) => $"{k} ({info.KeptClassNames[j]})")))} " +
                               $"from {DisplayText.Markup(path)}");
        AnsiConsole.MarkupLine($"parameters: [bold]{info.ParameterCount:N0}[/] of {info.FullParameterCount:N0} ([bold]{info.ParameterFraction:P1}[/])" +
                               (size is null ? "" : $"; the paper's stage-scaled estimate: {size.EstimateFraction:P1}"));
        var table = new Table().AddColumns("class", "name", "threshold", "train precision", "train recall", "train F1", "positives", "negatives");
        foreach (var t in info.Thresholds)
            table.AddRow(t.Class.ToString(), DisplayText.Markup(t.Name), t.Threshold.ToString("G5"), t.TrainingPrecision.ToString("P2"),
                t.TrainingRecall.ToString("P2"), t.TrainingF1.ToString("F4"), t.Positives.ToString(), t.Negatives.ToString());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"thresholds fitted on {info.ThresholdSamples} training images; done in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
