using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop;

namespace Crx.Verbs;

/// <summary>`crx export --format official`: a checkpoint's network in the authors' state_dict layout.</summary>
internal static class ExportVerb
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "A checkpoint (crx train or crx import)" };
        var format = new Option<string>("--format") { Description = "official: safetensors that the released code's load_state_dict accepts", Required = true };
        var output = new Option<string>("--out") { Description = "The file to write (never overwritten)", Required = true };
        var command = new Command("export", "Write a checkpoint's network in another format.")
        {
            checkpoint, format, output,
        };
        command.SetAction(p =>
        {
            string outPath = p.GetValue(output)!;
            switch (p.GetValue(format))
            {
                case "official": OfficialModelFile.Export(p.GetValue(checkpoint)!, outPath); break;
                default: throw new InvalidInputException($"--format: '{p.GetValue(format)}' is not a known format (official)");
            }
            Console.WriteLine($"written: {outPath}");
            return 0;
        });
        return command;
    }
}
