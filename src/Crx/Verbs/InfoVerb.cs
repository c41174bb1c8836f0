using CodedResNeXt.BinaryClassifiers;
using Crx.Display;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx info`: an architecture's blocks, parameters per stage, and the size of a class's binary classifier; or, given a
/// file, what it holds: a PyTorch/Lightning checkpoint's epoch, step and state_dict size, or a model file's architecture.
/// </summary>
internal static class InfoVerb
{
    /// <summary>What a `info` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string? File, string? Arch, bool Control, bool Json);

    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Description = "A PyTorch/Lightning .ckpt (its epoch, step, Lightning version, tensors), a model file of ours (its architecture) " +
                          "or an ONNX file crx export wrote (its architecture, and whether it is int8 and how it was calibrated)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var arch = new Option<string>("--arch")
        {
            Description = $"A preset ({string.Join(", ", ArchitectureSpec.PresetNames)}) or an architecture .json file",
        };
        var control = new Option<bool>("--control") { Description = "Show the control network: every block uncoded (N/N), no dropSubNNs" };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON" };
        var command = new Command("info", "Describe an architecture: blocks, parameters per stage, coded blocks, binary classifier size")
        {
            file, arch, control, json,
        };
        command.SetAction(parse => Run(new Arguments(parse.GetValue(file), parse.GetValue(arch), parse.GetValue(control), parse.GetValue(json))));
        return command;
    }

    private static int Run(Arguments a)
    {
        if ((a.File is null) == (a.Arch is null))
            throw new InvalidInputException("--arch: give either an architecture (--arch) or a file, not both or neither");
        ArchitectureSpec spec;
        OnnxReport? onnx = null;
        if (a.File is not null)
        {
            var file = CodedResNeXtModel.InspectFile(a.File);
            if (file.Format == ModelFileInfo.Torch) return PrintTorchCheckpoint(file, a.Json);
            var meta = file.Metadata!;
            spec = meta.Architecture;
            if (file.Format == ModelFileInfo.Onnx)
                onnx = new OnnxReport(meta.Kind, file.Bytes, file.Quantization is null ? "float32" : "int8", file.Quantization);
        }
        else
        {
            try { spec = ArchitectureSpec.Load(a.Arch!); }
            catch (InvalidInputException e) { throw new InvalidInputException($"--arch: {e.Message}"); }
        }
        if (a.Control) spec = spec.ToControl();
        var report = Report(spec) with { Onnx = onnx };
        if (a.Json) Console.WriteLine(JsonSerializer.Serialize(report, CodedResNeXtModel.JsonOptions));
        else
        {
            if (onnx is not null) PrintOnnx(a.File!, onnx);
            Print(report);
        }
        return 0;
    }

    /// <summary>What an ONNX file is: its kind, size and numbers (float32 or int8, and an int8 file's calibration).</summary>
    private sealed record OnnxReport(string Kind, long Bytes, string Precision, QuantizationInfo? Quantization);

    private static void PrintOnnx(string path, OnnxReport onnx)
    {
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(Path.GetFileName(path))}[/]: an ONNX file ({DisplayText.Markup(onnx.Kind)}), {onnx.Bytes / 1e6:F2} MB, [bold]{onnx.Precision}[/]");
        if (onnx.Quantization is { } q)
        {
            AnsiConsole.MarkupLine($"quantized (QDQ, BN folded): weights {DisplayText.Markup(q.Weights)}, activations {DisplayText.Markup(q.Activations)}; " +
                                   "logits and energies float");
            AnsiConsole.MarkupLine($"calibrated: {DisplayText.Markup(q.Method)} on {q.Images} images of {DisplayText.Markup(q.Data)} (seed {q.Seed})");
            if (q.FloatWeights.Count > 0) AnsiConsole.MarkupLine($"kept float: {DisplayText.Markup(string.Join(", ", q.FloatWeights))}");
        }
    }

    /// <summary>What a torch.save file says of the run that wrote it (<c>--json</c>: these keys, in this order).</summary>
    private sealed record TorchReport(long? Epoch, long? GlobalStep, string? LightningVersion, int Tensors, IReadOnlyList<string> Keys);

    /// <summary>A torch.save file's summary. Its optimizer and scheduler state are not imported: a run from it starts anew.</summary>
    private static int PrintTorchCheckpoint(ModelFileInfo file, bool json)
    {
        string path = file.Path;
        var summary = new TorchReport(file.Epoch, file.GlobalStep, file.LightningVersion, file.Tensors ?? 0, file.Keys);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(summary, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        string Or(object? value) => value?.ToString() ?? "-";
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(path))}[/]: a PyTorch checkpoint (torch.save zip)" +
                               (summary.LightningVersion is null ? "" : $" from PyTorch Lightning {Markup.Escape(summary.LightningVersion)}"));
        AnsiConsole.MarkupLine($"epoch {Or(summary.Epoch)}, global step {Or(summary.GlobalStep)}, {summary.Tensors} tensors in its state_dict");
        if (summary.Keys.Count > 0) AnsiConsole.MarkupLine($"holds: {Markup.Escape(string.Join(", ", summary.Keys))}");
        AnsiConsole.MarkupLine("import it with: crx import --from lightning FILE --arch ARCH --out OUT (a new run starts from it with train --init-from)");
        return 0;
    }

    private sealed record BlockRow(int Index, string Stage, int InChannels, int OutChannels, int BottleneckWidth,
        [property: JsonPropertyName("subnns")] int SubNNs, [property: JsonPropertyName("original_subnns")] int OriginalSubNNs,
        int Stride, string? Scheme,
        [property: JsonPropertyName("active_subnns")] int ActiveSubNNs, double PDrop, long Parameters, bool ProjectionShortcut);

    /// <summary>Parameters of one stage's blocks.</summary>
    private sealed record StageRow(string Stage, long Parameters);

    /// <summary>Parameters of the stem, each stage (in order of first appearance), the classifier, and in total.</summary>
    private sealed record ParameterRows(long Stem, IReadOnlyList<StageRow> Stages, long Classifier)
    {
        public long Total => Stem + Stages.Sum(s => s.Parameters) + Classifier;
    }

    /// <param name="Architecture">the architecture itself, in architecture-file form (a starting point for custom files)</param>
    private sealed record InfoReport(string Name, int Classes, int InputChannels, int ImageSize, IReadOnlyList<BlockRow> Blocks,
        ParameterRows Parameters, long TotalParameters, IReadOnlyList<int> CodedBlocks, BinaryClassifierSize BinaryClassifier,
        ArchitectureSpec Architecture)
    {
        /// <summary>For an ONNX file: what it is (absent otherwise).</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public OnnxReport? Onnx { get; init; }
    }

    private static InfoReport Report(ArchitectureSpec spec)
    {
        var rows = spec.Blocks.Select((b, i) => new BlockRow(i, b.Stage, b.InChannels, b.OutChannels, b.BottleneckWidth,
            b.SubNNs, b.NormalizationSubNNs, b.Stride, b.Scheme, spec.SchemeOf(i)?.Active ?? b.SubNNs, b.PDrop, b.ParameterCount, b.HasProjectionShortcut)).ToList();
        var parameters = new ParameterRows(spec.Stem.ParameterCount,
            spec.Blocks.GroupBy(b => b.Stage).Select(g => new StageRow(g.Key, g.Sum(b => b.ParameterCount))).ToList(), spec.ClassifierParameterCount);
        return new InfoReport(spec.Name, spec.Classes, spec.InputChannels, spec.ImageSize, rows, parameters, parameters.Total,
            rows.Where(r => r.Scheme is not null).Select(r => r.Index).ToList(),
            // An extracted architecture may no longer have class 0.
            spec.BinaryClassifierSize(spec.KeptClasses?[0] ?? 0), spec);
    }

    private static string Millions(long count) => $"{count / 1e6:F3} M";

    private static void Print(InfoReport r)
    {
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(r.Name)}[/]: {r.Classes} classes, input {r.InputChannels}x{r.ImageSize}x{r.ImageSize}");
        var blocks = new Table().Border(TableBorder.None);
        foreach (var column in new[] { "#", "stage", "in", "out", "d", "N_act/N", "stride", "p_drop", "shortcut", "params" })
            blocks.AddColumn(new TableColumn(column).RightAligned().PadLeft(1).PadRight(1));
        foreach (var b in r.Blocks)
            blocks.AddRow(b.Index.ToString(), DisplayText.Markup(b.Stage), b.InChannels.ToString(), b.OutChannels.ToString(),
                b.BottleneckWidth.ToString(), $"{b.ActiveSubNNs}/{b.OriginalSubNNs}" + (b.SubNNs < b.OriginalSubNNs ? $" ({b.SubNNs} kept)" : ""), b.Stride.ToString(),
                b.PDrop.ToString("0.##"), b.ProjectionShortcut ? "projection" : "identity", b.Parameters.ToString("N0"));
        AnsiConsole.Write(blocks);

        var stages = new Table().Border(TableBorder.Simple);
        stages.AddColumn("part");
        stages.AddColumn(new TableColumn("params").RightAligned());
        stages.AddColumn(new TableColumn("M").RightAligned());
        stages.AddRow("stem", r.Parameters.Stem.ToString("N0"), Millions(r.Parameters.Stem));
        foreach (var s in r.Parameters.Stages) stages.AddRow(DisplayText.Markup(s.Stage), s.Parameters.ToString("N0"), Millions(s.Parameters));
        stages.AddRow("classifier", r.Parameters.Classifier.ToString("N0"), Millions(r.Parameters.Classifier));
        stages.AddRow("[bold]total[/]", $"[bold]{r.TotalParameters:N0}[/]", $"[bold]{Millions(r.TotalParameters)}[/]");
        AnsiConsole.Write(stages);

        AnsiConsole.MarkupLine(r.CodedBlocks.Count == 0
            ? "Coded blocks: none (a plain ResNeXt)"
            : "Coded blocks: " + string.Join("; ", r.Blocks.Where(b => b.Scheme is not null).GroupBy(b => b.Scheme)
                .Select(g => $"{string.Join(", ", g.Select(b => b.Index))} with scheme {DisplayText.Markup(g.Key!)}")));
        var bc = r.BinaryClassifier;
        AnsiConsole.MarkupLine($"Binary classifier of class {bc.Class}: [bold]{Millions(bc.Exact)}[/] = {bc.ExactFraction:P1} of the parameters " +
            $"(the paper's stage-scaled estimate: {Millions(bc.StageScaledEstimate)} = {bc.EstimateFraction:P1})");
    }
}
