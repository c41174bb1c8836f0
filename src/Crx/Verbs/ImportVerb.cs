using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Interop;

namespace Crx.Verbs;

/// <summary>`crx import --from official`: the authors' released weights (safetensors, their state_dict layout) as a checkpoint.</summary>
internal static class ImportVerb
{
    /// <summary>What a `import` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string File, string From, string Arch, string Out);

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A safetensors file of the released code's state_dict (net_list.* names)" };
        var from = new Option<string>("--from") { Description = "Where the weights come from: official (the authors' CIFAR code)", Required = true };
        var arch = new Option<string>("--arch") { Description = "The preset the weights are for: " + string.Join(" | ", OfficialModelFile.Architectures), Required = true };
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
        if (a.From != "official")
            throw new InvalidInputException($"--from: '{a.From}' is not a known source (official)");
        string outPath = a.Out;
        OfficialModelFile.Import(a.File, a.Arch, outPath);
        Console.WriteLine($"written: {outPath}; next: ./crx eval --checkpoint {outPath} --data-dir DIR");
        return 0;
    }
}
