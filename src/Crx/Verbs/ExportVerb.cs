using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop;
using CodedResNeXt.Prediction;

namespace Crx.Verbs;

/// <summary>
/// `crx export`: a model file in another format. official: a checkpoint's network in the authors' state_dict layout;
/// onnx: a checkpoint or an extracted classifier as an ONNX graph for ONNX Runtime. The work is the library's.
/// </summary>
internal static class ExportVerb
{
    /// <summary>What a `export` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Model, string Format, string Out, string? Quantize, string? CalibrationData, int CalibrationImages,
        string CalibrationMethod, bool FloatGroupedConvs);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A checkpoint (crx train or crx import); for onnx also an extracted classifier (crx extract)" };
        var format = new Option<string>("--format")
        {
            Description = "official: safetensors that the released code's load_state_dict accepts; " +
                          "onnx: an ONNX graph (opset 17, dynamic batch) with the model's metadata, for ONNX Runtime",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "The file to write (never overwritten)", Required = true };
        var quantize = new Option<string?>("--quantize")
        {
            Description = "onnx only: int8 writes a quantized graph (QDQ: int8 weights per output channel, uint8 activations per tensor, " +
                          "BN folded; logits and energies float), calibrated on training images",
        };
        var calibrationData = new Option<string?>("--calibration-data")
        {
            Description = "int8: the calibration images: a dataset name (its training set) or the directory of the model's dataset " +
                          "(default: the dataset the model's metadata names, where it is found)",
        };
        var calibrationImages = new Option<int>("--calibration-images")
        {
            Description = "int8: images drawn (seeded) to calibrate the activations' ranges",
            DefaultValueFactory = _ => QuantizationOptions.DefaultCalibrationImages,
        };
        var calibrationMethod = new Option<string>("--calibration-method")
        {
            Description = "int8: percentile (99.99, the default: clips the rarest values) or min-max",
            DefaultValueFactory = _ => "percentile",
        };
        var floatGrouped = new Option<bool>("--float-grouped-convs")
        {
            Description = "int8: keep the grouped 3x3 convolutions' weights float (to measure whether narrow groups pay in int8)",
        };
        var command = new Command("export", "Write a checkpoint's network (or, for onnx, an extracted classifier) in another format.")
        {
            model, format, output, quantize, calibrationData, calibrationImages, calibrationMethod, floatGrouped,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(model)!, p.GetValue(format)!, p.GetValue(output)!, p.GetValue(quantize),
            p.GetValue(calibrationData), p.GetValue(calibrationImages), p.GetValue(calibrationMethod)!, p.GetValue(floatGrouped))));
        return command;
    }

    private static int Run(Arguments a)
    {
        string source = a.Model, outPath = a.Out;
        var quantization = Quantization(a);
        if (a.Format is not ("official" or "onnx")) throw new InvalidInputException($"--format: '{a.Format}' is not a known format (official, onnx)");
        // Before the model loads; the export checks again, atomically, when it gives the file its name.
        Crx.Cli.OutputPaths.RequireWritableFile(outPath, "--out");
        if (File.Exists(outPath) || Directory.Exists(outPath)) throw new InvalidInputException($"--out: {outPath} already exists; choose another path or delete it");
        if (a.Format == "official")
        {
            if (CodedResNeXtModel.InspectFile(source).Format == ModelFileInfo.BinaryClassifier)
                throw new InvalidInputException($"{source}: an extracted classifier has no counterpart in the released code; export the checkpoint it came from");
            using var model = CodedResNeXtModel.Load(source);
            model.ExportOfficial(outPath);
            Console.WriteLine($"written: {outPath}");
            return 0;
        }
        using (var loaded = PredictionModel.Load(source))
        {
            if (loaded.IsOnnx) throw new InvalidInputException($"{source}: is an ONNX file already; export a checkpoint or an extracted classifier");
            loaded.ExportOnnx(outPath, quantization);
            var arch = loaded.Architecture;
            Console.WriteLine($"written: {outPath} ({new FileInfo(outPath).Length / 1e6:F2} MB): {Crx.Display.DisplayText.Safe(loaded.Meta.Kind)} {Crx.Display.DisplayText.Safe(arch.Name)}, " +
                              $"input [batch, {arch.InputChannels}, {arch.ImageSize}, {arch.ImageSize}]" + (quantization is null ? "" : ", int8"));
        }
        if (CodedResNeXtModel.InspectFile(outPath).Quantization is { } info)
            Console.WriteLine($"calibrated: {info.Method} on {info.Images} images of {Crx.Display.DisplayText.Safe(info.Data)} (seed {info.Seed})" +
                              (info.FloatWeights.Count > 0 ? $"; float grouped convolutions ({info.FloatWeights.Count})" : ""));
        return 0;
    }

    /// <summary>The int8 options the flags ask for (null: float32); the int8 flags without --quantize int8, or with another format, are refused.</summary>
    private static QuantizationOptions? Quantization(Arguments a)
    {
        bool calibrationFlags = a.CalibrationData is not null || a.CalibrationImages != QuantizationOptions.DefaultCalibrationImages
                                || a.CalibrationMethod != "percentile" || a.FloatGroupedConvs;
        if (a.Quantize is null)
        {
            if (calibrationFlags) throw new InvalidInputException("--quantize: the calibration flags need --quantize int8");
            return null;
        }
        if (a.Quantize != "int8") throw new InvalidInputException($"--quantize: '{a.Quantize}' is not a known quantization (int8)");
        if (a.Format != "onnx") throw new InvalidInputException($"--quantize: only --format onnx is quantized, not {a.Format}");
        var defaults = new QuantizationOptions();
        double? percentile = a.CalibrationMethod switch
        {
            "percentile" => defaults.Percentile,
            "min-max" => null,
            _ => throw new InvalidInputException($"--calibration-method: '{a.CalibrationMethod}' is not a known method (percentile, min-max)"),
        };
        return defaults with
        {
            CalibrationData = a.CalibrationData, CalibrationImages = a.CalibrationImages, Percentile = percentile,
            QuantizeGroupedConvolutions = !a.FloatGroupedConvs,
        };
    }
}
