using Crx.Display;
using TorchSharp;
using CodedResNeXt;
using CodedResNeXt.Decoding;
using CodedResNeXt.Evaluation;
using CodedResNeXt.ModelFiles;
using System.CommandLine;
using System.Text.Json;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Training;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>`crx eval`: top-1, per-class accuracy, every early decoder, and the confusion matrix of a checkpoint.</summary>
internal static class EvalVerb
{
    /// <summary>What a `eval` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Checkpoint, string? Dataset, string? DataDir, int Batch, bool Json, double? EarlyExit, int CalibrationImages, string Device, bool StoreCalibration, long MaxImagePixels);

    /// <summary>A fixed-seed choice of <paramref name="count"/> training images (all when there are fewer), in dataset order.</summary>
    private static int[] EarlyExitSubset(int available, int count)
    {
        var all = Enumerable.Range(0, available).ToArray();
        new Random(0).Shuffle(all);
        return all.Take(Math.Min(count, available)).Order().ToArray();
    }

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file (runs/NAME/best.ckpt or last.ckpt)", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset to evaluate on [the one it was trained on]" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Dataset folder [the dataset's default]" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print the full result (with the confusion matrix) as JSON" };
        var earlyExit = new Option<double?>("--early-exit") { Description = "Also evaluate early-exit inference calibrated for this agreement with the full network (e.g. 0.99), on a seeded subset of the training images" };
        var storeCalibration = new Option<bool>("--store-calibration") { Description = "Store the early-exit margins in the checkpoint (weights untouched), for crx predict --early-exit" };
        var calibrationImages = new Option<int>("--calibration-images") { Description = "Training images the early-exit margins are calibrated on", DefaultValueFactory = _ => 5000 };
        var device = Crx.Cli.DeviceOption.Create();
        var maxPixels = Crx.Cli.ImageLimitOption.Create();
        var command = new Command("eval", "Evaluate a checkpoint on its validation set: top-1, per class, early decoders.")
        {
            checkpoint, dataset, dataDir, batch, json, earlyExit, calibrationImages, storeCalibration, device, maxPixels,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(checkpoint)!, p.GetValue(dataset), p.GetValue(dataDir), p.GetValue(batch), p.GetValue(json), p.GetValue(earlyExit), p.GetValue(calibrationImages), p.GetValue(device)!, p.GetValue(storeCalibration), p.GetValue(maxPixels))));
        return command;
    }

    private static int Run(Arguments a)
    {
        string path = a.Checkpoint;
        if (a.StoreCalibration && a.EarlyExit is null) throw new InvalidInputException("--store-calibration: give the --early-exit target to calibrate for");
        // The calibration takes minutes: learn that the checkpoint cannot be rewritten before, not after.
        if (a.StoreCalibration) Crx.Cli.OutputPaths.RequireWritableFile(path, "--store-calibration");
        var onDevice = Crx.Cli.DeviceOption.Resolve(a.Device);
        if (a.Batch < 1) throw new CodedResNeXt.InvalidInputException($"--batch: {a.Batch} must be at least 1");
        // Rewriting a checkpoint of a run that is training would put this older copy back over the epochs it saves
        // meanwhile: loaded for update, a run folder's lock is taken before any work.
        using var model = CodedResNeXtModel.Load(path, onDevice, forUpdate: a.StoreCalibration);
        // A folder is read at the sizes the network was trained with.
        var where = new DatasetOptions { DataDir = a.DataDir, MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(a.MaxImagePixels) };
        var validation = model.LoadValidationSet(where, a.Dataset);
        var result = model.Evaluate(validation, a.Batch);
        var (classification, early) = (result.Classification, result.EarlyDecoding);
        EarlyExitResult? exit = null;
        if (a.EarlyExit is { } target)
        {
            if (!(target > 0 && target <= 1)) throw new InvalidInputException($"--early-exit: {target} is not an agreement in (0, 1]");
            int count = a.CalibrationImages;
            if (count < 1) throw new InvalidInputException($"--calibration-images: {count} must be at least 1");
            if (model.Architecture.CodedBlockIndices.Count == 0) throw new InvalidInputException($"--early-exit: {path} has no coded block to exit at");
            // Calibrated against the network's own predictions on images it was trained on (their labels are not
            // used), so the validation images stay unseen by the calibration.
            var train = model.LoadTrainingSet(where, a.Dataset);
            var calibration = model.CalibrateEarlyExit(train.Subset(EarlyExitSubset(train.Count, count)), target, a.Batch);
            exit = model.EvaluateEarlyExit(validation, calibration, a.Batch);
            if (a.StoreCalibration) model.StoreCalibration(calibration);
        }
        if (a.Json)
        {
            Console.WriteLine(exit is null
                ? JsonSerializer.Serialize(result, CodedResNeXtModel.JsonOptions)
                : JsonSerializer.Serialize(new { result.Classification, result.EarlyDecoding, EarlyExit = exit }, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(path)}[/]: {DisplayText.Markup(model.Architecture.Name)}, epoch {model.EpochsTrained}, {classification.Count} validation images, on {onDevice}");
        AnsiConsole.MarkupLine($"top-1 [bold]{classification.Top1:P2}[/]" + (classification.Top5 is { } top5 ? $"  top-5 [bold]{top5:P2}[/]" : ""));
        var perClass = new Table().AddColumns("class", "name", "accuracy");
        for (int k = 0; k < classification.PerClassAccuracy.Count; k++)
            if (!double.IsNaN(classification.PerClassAccuracy[k]))
                perClass.AddRow(k.ToString(), DisplayText.Markup(model.ClassNames[k]), classification.PerClassAccuracy[k].ToString("P1"));
        AnsiConsole.Write(perClass);
        if (early.CodedBlockIndices.Count > 0)
        {
            var decoders = new Table().AddColumns("coded block", "early-decoder accuracy", "agrees with final");
            for (int b = 0; b < early.CodedBlockIndices.Count; b++)
                decoders.AddRow(early.CodedBlockIndices[b].ToString(), early.Accuracy[b].ToString("P2"), early.AgreementWithFinal[b].ToString("P1"));
            AnsiConsole.Write(decoders);
        }
        if (exit is not null)
        {
            var c = exit.Calibration;
            AnsiConsole.MarkupLine($"early exit, target agreement {c.Target:P1} (margins calibrated on {c.CalibrationImages} training images): " +
                $"top-1 [bold]{exit.Accuracy:P2}[/] (full {exit.FullAccuracy:P2}), agreement [bold]{exit.Agreement:P2}[/], " +
                $"[bold]{exit.ComputeFraction:P1}[/] of the network's multiply-accumulates");
            var exits = new Table().AddColumns("coded block", "margin threshold", "images leaving");
            for (int b = 0; b < c.CodedBlockIndices.Count; b++)
                exits.AddRow(c.CodedBlockIndices[b].ToString(), c.Thresholds[b] is { } t ? t.ToString("F3") : "none", exit.ExitFractions[b].ToString("P1"));
            AnsiConsole.Write(exits);
            if (a.StoreCalibration) AnsiConsole.MarkupLine($"stored in {DisplayText.Markup(path)}; use it with crx predict --model {DisplayText.Markup(path)} --early-exit {c.Target} IMAGES");
        }
        return 0;
    }
}
