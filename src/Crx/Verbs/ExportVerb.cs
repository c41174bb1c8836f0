using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;

namespace Crx.Verbs;

/// <summary>
/// `crx export`: a model file in another format. official: a checkpoint's network in the authors' state_dict layout;
/// onnx: a checkpoint or an extracted classifier as an ONNX graph for ONNX Runtime. The work is the library's.
/// </summary>
internal static class ExportVerb
{
    /// <summary>What a `export` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Model, string Format, string Out);

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
        var command = new Command("export", "Write a checkpoint's network (or, for onnx, an extracted classifier) in another format.")
        {
            model, format, output,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(model)!, p.GetValue(format)!, p.GetValue(output)!)));
        return command;
    }

    private static int Run(Arguments a)
    {
        string source = a.Model, outPath = a.Out;
        if (a.Format is "official" or "onnx") Crx.Cli.OutputPaths.RequireWritableFile(outPath, "--out"); // before the model loads
        switch (a.Format)
        {
            case "official":
                OfficialModelFile.Export(source, outPath);
                Console.WriteLine($"written: {outPath}");
                break;
            case "onnx":
                var meta = OnnxModelExport.ExportFile(source, outPath);
                var arch = meta.Architecture;
                Console.WriteLine($"written: {outPath} ({new FileInfo(outPath).Length / 1e6:F2} MB): {Crx.Display.DisplayText.Safe(meta.Kind)} {Crx.Display.DisplayText.Safe(arch.Name)}, " +
                                  $"input [batch, {arch.InputChannels}, {arch.ImageSize}, {arch.ImageSize}]");
                break;
            default: throw new InvalidInputException($"--format: '{a.Format}' is not a known format (official, onnx)");
        }
        return 0;
    }
}
