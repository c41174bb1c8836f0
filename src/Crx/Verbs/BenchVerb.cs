using Crx.Display;
using System.CommandLine;
using System.Text.Json;
using CodedResNeXt;
using CodedResNeXt.Benchmarking;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>`crx bench`: training and inference throughput and peak memory of a coded network and its variants.</summary>
internal static class BenchVerb
{
    /// <summary>What a `bench` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Arch, int Batch, int Threads, int Steps, int Repeats, double EarlyExit, bool Json, bool Profile, string Device, int? MemorySteps, double MinRepeatSeconds, bool Materializing, string? Precision);

    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Preset (cifar10, fashion-small, …) or architecture JSON file", Required = true };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var steps = new Option<int>("--steps") { Description = "Timed steps per repeat", DefaultValueFactory = _ => 6 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (the figure is their median)", DefaultValueFactory = _ => 5 };
        var target = new Option<double>("--early-exit") { Description = "Agreement the early-exit margins are calibrated for", DefaultValueFactory = _ => 0.99 };
        var json = new Option<bool>("--json") { Description = "Print every figure as JSON" };
        var materializing = new Option<bool>("--materializing") { Description = "Also time the materializing block form, the tests' oracle (slow; several GB at cifar10 sizes)" };
        var device = Crx.Cli.DeviceOption.Create();
        var profile = new Option<bool>("--profile") { Description = "Instead: break the coded network's training step down by phase and its forward by kind of op" };
        var minSeconds = new Option<double>("--min-repeat-seconds") { Description = "A repeat of fast steps runs at least this long", DefaultValueFactory = _ => 1 };
        var precision = Crx.Cli.PrecisionOption.Create();
        var memorySteps = new Option<int?>("--memory-steps") { Description = "Instead: train the coded network this many steps and compare its resident memory over the last tenth with the second (the first is warm-up)" };
        var command = new Command("bench", "Measure images/s (training step, inference at batch 1 and B) and peak memory of a coded network, its control, " +
            "the extracted class-0 classifier and early exit (with --materializing, the materializing form too), on synthetic inputs, " +
            "beside the machine's limit: a dense 3x3 convolution's rate in the same process.")
        {
            arch, batch, threads, steps, repeats, minSeconds, target, json, materializing, profile, memorySteps, device, precision,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(arch)!, p.GetValue(batch), p.GetValue(threads), p.GetValue(steps), p.GetValue(repeats),
            p.GetValue(target), p.GetValue(json), p.GetValue(profile), p.GetValue(device)!, p.GetValue(memorySteps), p.GetValue(minSeconds), p.GetValue(materializing), p.GetValue(precision))));
        return command;
    }

    private static int Run(Arguments a)
    {
        foreach (var (flag, value) in new[] { ("--batch", a.Batch), ("--threads", a.Threads), ("--steps", a.Steps), ("--repeats", a.Repeats) })
            if (value < 1) throw new InvalidInputException($"{flag}: {value} must be at least 1");
        CodedResNeXt.Runtime.ProcessSettings.RequireThreads(a.Threads);
        if (!(a.MinRepeatSeconds >= 0)) throw new InvalidInputException($"--min-repeat-seconds: {a.MinRepeatSeconds} must be 0 or more");
        if (!(a.EarlyExit is > 0 and <= 1)) throw new InvalidInputException($"--early-exit: {a.EarlyExit} is not an agreement in (0, 1]");
        var onDevice = CodedResNeXt.Runtime.ComputeDevice.Resolve(a.Device);
        var precision = Crx.Cli.PrecisionOption.Parse(a.Precision, CodedResNeXt.Runtime.Precision.Float32);
        CodedResNeXt.Runtime.Autocast.RequireSupport(precision, onDevice);
        var schemes = CodingSchemeSet.BuiltInsAndFiles;
        ArchitectureSpec architecture;
        try { architecture = ArchitectureFile.LoadPresetOrFile(a.Arch, schemes); }
        catch (InvalidInputException e) when (e.Subject is not { Kind: InputKind.File }) { throw e.About(InputSubject.Option("Architecture")); }
        if (a.MemorySteps is { } memorySteps)
        {
            var memory = MemoryOverSteps.Run(architecture, schemes, a.Batch, a.Threads, memorySteps,
                a.Json ? null : new Progress<int>(s => { if (s % Math.Max(1, memorySteps / 10) == 0) Console.Error.WriteLine($"bench: step {s} of {memorySteps}"); }),
                precision: precision);
            if (a.Json) Console.WriteLine(JsonSerializer.Serialize(new { memory.Architecture, memory.Batch, memory.Threads, memory.Steps,
                Samples = memory.Samples.Select(x => new[] { x.Step, x.Bytes }), memory.SecondTenthMedian, memory.LastTenthMedian, memory.PeakBytes, memory.Growth }, CodedResNeXtModel.JsonOptions));
            else
                Console.WriteLine($"{memory.Architecture}, batch {memory.Batch}, {memory.Threads} threads, {memory.Steps} training steps: resident memory " +
                    $"{memory.SecondTenthMedian / 1e9:F2} GB over the second tenth, {memory.LastTenthMedian / 1e9:F2} GB over the last (x{memory.Growth:F3}), peak {memory.PeakBytes / 1e9:F2} GB");
            return 0;
        }
        if (a.Profile)
        {
            var breakdown = TrainingStepProfile.Run(architecture, schemes, a.Batch, a.Threads, a.Steps * a.Repeats, precision: precision);
            if (a.Json) Console.WriteLine(JsonSerializer.Serialize(breakdown, CodedResNeXtModel.JsonOptions));
            else
            {
                AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(breakdown.Architecture)}[/] training step, batch {breakdown.Batch}, {breakdown.Threads} threads: " +
                    $"median {breakdown.StepMilliseconds:F1} ms over {breakdown.Steps} steps");
                foreach (var (title, rows) in new[] { ("phase", breakdown.Phases), ("forward op (blocks)", breakdown.ForwardOps) })
                {
                    var t = new Table().AddColumns(title, "ms", "share");
                    foreach (var row in rows) t.AddRow(DisplayText.Markup(row.Name), row.Milliseconds.ToString("F2"), row.Share.ToString("P1"));
                    AnsiConsole.Write(t);
                }
            }
            return 0;
        }
        var options = new BenchmarkOptions(a.Batch, a.Threads, a.Steps, a.Repeats, EarlyExitTarget: a.EarlyExit, MinRepeatSeconds: a.MinRepeatSeconds,
            Materializing: a.Materializing) { Device = onDevice, Precision = precision };
        bool asJson = a.Json;
        var progress = asJson ? null : new Progress<string>(name => Console.Error.WriteLine($"bench: {name}"));
        var result = Benchmark.Run(architecture, schemes, options, progress);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(result.Architecture)}[/], {result.MacsPerImage / 1e9:F3} GMAC per image forward, batch {result.Batch}, " +
            $"{result.Threads} threads, on {onDevice}, {Crx.Cli.PrecisionOption.Show(options.Precision)}, median of {result.Repeats} repeats of at least {result.Steps} steps and {a.MinRepeatSeconds:0.#} s");
        var table = new Table().AddColumns("variant", "parameters", "train img/s", "of the limit", "infer img/s (batch)", "infer img/s (1)", "peak RSS", "libtorch heap");
        static string T(Throughput? t) => t is null ? "-" : $"{t.Median:F1} ±{t.Spread / 2:P0}";
        static string M(long? b) => b is { } v ? $"{v / 1048576.0:F0} MiB" : "n/a";
        foreach (var v in result.Variants)
            table.AddRow(DisplayText.Markup(v.Name), v.Parameters.ToString("N0"), T(v.Training), v.TrainingFractionOfLimit is { } f ? f.ToString("P0") : "-",
                T(v.InferenceBatch), T(v.InferenceSingle),
                M(v.PeakResidentBytes), M(v.PeakNativeHeapBytes));
        AnsiConsole.Write(table);
        if (result.Limit is { } limit)
            AnsiConsole.MarkupLine($"the limit: a dense 3x3 convolution, forward and backward, {limit.FlopsPerSecond / 1e9:F0} GFLOP/s ±{limit.Spread / 2:P0} " +
                $"({Markup.Escape(limit.Shape)}): {limit.ImagesPerSecond(ConvolutionLimit.TrainingFlops(result.MacsPerImage)):F1} training images/s " +
                $"if every one of the {ConvolutionLimit.TrainingFlops(result.MacsPerImage) / 1e9:F2} GFLOP per image ran at it");
        var r = result.Ratios;
        AnsiConsole.MarkupLine($"coded/control: training {r.CodedOverControlTraining:F2}, inference {r.CodedOverControlInference:F2}; " +
            (r.MaterializingOverFusedTraining is { } m ? $"materializing/fused training {m:F2}; " : "") + $"extracted/full inference {r.ExtractedOverFullInference:F2}; " +
            $"early-exit/full inference {r.EarlyExitOverFullInference:F2} ({result.EarlyExit.ComputeFraction:P0} of the MACs on these synthetic images)");
        if (r.EarlyExitOverFullInference <= 1)
            AnsiConsole.MarkupLine("early exit does not pay for this network at this batch: crx predict --early-exit measures that on its first batch and runs the full network");
        return 0;
    }
}
