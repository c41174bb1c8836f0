using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop;

namespace Crx.Verbs;

/// <summary>
/// `crx import --from official|lightning`: weights in the authors' state_dict layout as a checkpoint, from safetensors
/// (official) or from their Lightning checkpoint or any torch.save of the state_dict (lightning). The format is named,
/// not guessed, so that a pickle is only ever read when the user asked for one.
/// </summary>
internal static class ImportVerb
{
    /// <summary>What a `import` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string File, string From, string Arch, string Out);

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The weights, with the released code's state_dict names (net_list.*)" };
        var from = new Option<string>("--from")
        {
            Description = "The file's format: official (safetensors, as crx export --format official writes) | " +
                          "lightning (a Lightning .ckpt of the authors' code, or any torch.save of the state_dict)",
            Required = true,
        };
        var arch = new Option<string>("--arch") { Description = "The architecture the weights are for: cifar10 | cifar100 | imagenet, any preset, or an architecture .json file", Required = true };
        var output = new Option<string>("--out") { Description = "The checkpoint to write (never overwritten)", Required = true };
        var command = new Command("import",
            "Turn the authors' released weights into a checkpoint for eval, predict, extract, analyze and train --init-from.")
        {
            file, from, arch, output,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(file)!, p.GetValue(from)!, p.GetValue(arch)!, p.GetValue(output)!)));
        return command;
    }

    private static int Run(Arguments a)
    {
        var format = a.From switch
        {
            "official" => WeightsFormat.Safetensors,
            "lightning" => WeightsFormat.Lightning,
            _ => throw new InvalidInputException($"--from: '{a.From}' is not a known source (official, lightning)"),
        };
        string outPath = a.Out;
        Crx.Cli.CliErrors.Alias("Path", "--out");
        // Refused before the weights are read, and again, atomically, when the checkpoint is written.
        CodedResNeXtModel.RefuseExisting(outPath);
        using var model = CodedResNeXtModel.Import(a.File, a.Arch, format);
        if (Path.GetDirectoryName(Path.GetFullPath(outPath)) is { } folder) Directory.CreateDirectory(folder);
        model.Save(outPath, overwrite: false);
        Console.WriteLine($"written: {outPath}; next: ./crx eval --checkpoint {outPath} --data-dir DIR");
        return 0;
    }
}
