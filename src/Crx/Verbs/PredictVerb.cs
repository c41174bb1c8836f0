using CodedResNeXt.Evaluation;
using Crx.Display;
using CodedResNeXt.ModelFiles;
using System.CommandLine;
using System.Text.Json;
using CodedResNeXt;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Prediction;
using CodedResNeXt.Decoding;
using CodedResNeXt.Training;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx predict`: classifies image files with an extracted classifier (yes/no per kept class against its stored
/// threshold) or with a checkpoint (the predicted class, its softmax probability and each early decoder's class).
/// </summary>
internal static class PredictVerb
{
    /// <summary>What a `predict` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Model, string Images, int Batch, bool Json, string Device, double? EarlyExit, long MaxImagePixels);

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "An extracted classifier (crx extract), a checkpoint, or a .onnx file exported from either (crx export)", Required = true };
        var images = new Argument<string>("images") { Description = "A PNG/JPEG file, or a directory: all its .png/.jpg/.jpeg files, sorted" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print the predictions as JSON" };
        var device = Crx.Cli.DeviceOption.Create();
        var maxPixels = Crx.Cli.ImageLimitOption.Create();
        var earlyExit = new Option<double?>("--early-exit") { Description = "Checkpoint only: stop each image at the first coded block confident enough, with the margins stored for this target agreement (crx eval --early-exit TARGET --store-calibration)" };
        var command = new Command("predict",
            "Classify images with an extracted classifier or a checkpoint. Images are converted to the model's " +
            "channels (gray by luminance) and resized to its input size when they differ; Fashion-MNIST models " +
            "expect light-on-dark 28x28 images like their training set.")
        {
            images, model, batch, json, device, earlyExit, maxPixels,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(model)!, p.GetValue(images)!, p.GetValue(batch), p.GetValue(json), p.GetValue(device)!,
            p.GetValue(earlyExit), p.GetValue(maxPixels))));
        return command;
    }

    private static int Run(Arguments a)
    {
        string path = a.Model;
        var device = Crx.Cli.DeviceOption.Resolve(a.Device);
        var files = PredictionModel.FindImages(a.Images);
        using var loaded = PredictionModel.Load(path, device);
        loaded.MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(a.MaxImagePixels);
        EarlyExitCalibration? calibration = null;
        if (a.EarlyExit is { } target)
        {
            if (loaded.IsClassifier || loaded.IsOnnx)
                throw new InvalidInputException($"--early-exit: {path} is {(loaded.IsOnnx ? "an ONNX file" : "an extracted classifier")}; early exit runs a checkpoint");
            calibration = loaded.StoredCalibration(target);
        }
        var predictions = calibration is null ? loaded.Predict(files, a.Batch) : loaded.PredictEarlyExit(files, calibration, a.Batch);
        string kind = loaded.Meta.Kind;
        var speed = loaded.LastEarlyExitSpeed;
        if (a.Json)
        {
            Console.WriteLine(speed is null
                ? JsonSerializer.Serialize(new { Model = path, Kind = kind, Predictions = predictions }, CodedResNeXtModel.JsonOptions)
                : JsonSerializer.Serialize(new { Model = path, Kind = kind, EarlyExitSpeed = speed, Predictions = predictions }, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        int size = loaded.ImageSize;
        foreach (var r in predictions.Where(r => r.Image.Resized))
            AnsiConsole.MarkupLine($"[yellow]note[/]: {DisplayText.Markup(r.Image.File)} is {r.Image.Width}x{r.Image.Height}; " +
                                   $"its centre square was resized to the model's {size}x{size}");
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(path)}[/]: {kind} {DisplayText.Markup(loaded.Architecture.Name)}, " +
                               $"input {loaded.InputChannels}x{size}x{size}, on {(loaded.IsOnnx ? "ONNX Runtime (CPU)" : loaded.Device.ToString())}");
        AnsiConsole.Write(loaded.IsClassifier ? Decisions(predictions) : calibration is not null ? Exits(predictions, calibration) : Classes(predictions));
        if (speed is { Pays: false })
            AnsiConsole.MarkupLine($"[yellow]note[/]: early exit ran the full network: exiting measured {speed.SpeedUp:F2}x its speed at batch {speed.Batch} here, no faster");
        if (calibration is not null)
            Console.WriteLine($"early exit at target agreement {calibration.Target}: {predictions.Average(r => r.Exit!.ComputeFraction):P1} of the network's multiply-accumulates on average");
        return 0;
    }

    private static Table Decisions(IReadOnlyList<ImagePrediction> predictions)
    {
        var table = new Table().AddColumns("image", "decision", "score", "threshold");
        foreach (var r in predictions)
            foreach (var d in r.Decisions!)
                table.AddRow(DisplayText.Markup(Path.GetFileName(r.Image.File)),
                    DisplayText.Markup($"class {d.Class} ({d.Name}): ") + (d.Yes ? "[green]yes[/]" : "[red]no[/]"),
                    d.Score.ToString("F4"), d.Threshold.ToString("F4"));
        return table;
    }

    private static Table Exits(IReadOnlyList<ImagePrediction> predictions, EarlyExitCalibration calibration)
    {
        var table = new Table().AddColumns("image", "predicted class", "left at", "compute");
        foreach (var r in predictions)
            table.AddRow(DisplayText.Markup(Path.GetFileName(r.Image.File)), DisplayText.Markup($"{r.Prediction!.Class} ({r.Prediction.Name})"),
                r.Exit!.ExitBlock is { } b ? $"block {b}" : "head", r.Exit.ComputeFraction.ToString("P0"));
        return table;
    }

    private static Table Classes(IReadOnlyList<ImagePrediction> predictions)
    {
        // One column per coded block: its early decoder's class and confidence.
        var table = new Table().AddColumns("image", "predicted class", "probability");
        foreach (var e in predictions[0].EarlyDecoders!) table.AddColumn($"block {e.BlockIndex}");
        foreach (var r in predictions)
            table.AddRow([
                DisplayText.Markup(Path.GetFileName(r.Image.File)), DisplayText.Markup($"{r.Prediction!.Class} ({r.Prediction.Name})"),
                r.Prediction.Probability.ToString("P1"),
                .. r.EarlyDecoders!.Select(e => DisplayText.Markup($"{e.Name} {100 * e.Confidence:F0}%")),
            ]);
        return table;
    }
}
