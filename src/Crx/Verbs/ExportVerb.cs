using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop.Onnx;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>`crx export`: writes a checkpoint or an extracted classifier in a deployment format (the work is the library's).</summary>
internal static class ExportVerb
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A checkpoint (.ckpt) or an extracted classifier (crx extract)" };
        var format = new Option<string>("--format") { Description = "onnx: an ONNX graph (opset 17) with its metadata, for ONNX Runtime", Required = true };
        var output = new Option<string>("--out") { Description = "File to write (never overwritten)", Required = true };
        var command = new Command("export",
            "Export a checkpoint (outputs: logits and every coded block's normalized energies) or an extracted classifier " +
            "(output: its logits; thresholds, classes and input normalization in the metadata) for deployment.")
        {
            model, format, output,
        };
        command.SetAction(p =>
        {
            string source = p.GetValue(model)!, target = p.GetValue(output)!;
            switch (p.GetValue(format))
            {
                case "onnx":
                    var meta = OnnxModelExport.ExportFile(source, target);
                    var arch = meta.Architecture;
                    AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(target)}[/] ({new FileInfo(target).Length / 1e6:F2} MB): " +
                                           $"{meta.Kind} {Markup.Escape(arch.Name)}, input [[batch, {arch.InputChannels}, {arch.ImageSize}, {arch.ImageSize}]]");
                    return 0;
                default:
                    throw InvalidInputException.ForOption("Format", $"unknown format '{p.GetValue(format)}' (formats: onnx)");
            }
        });
        return command;
    }
}
