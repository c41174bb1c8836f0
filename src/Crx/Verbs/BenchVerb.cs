using Crx.Display;
using System.CommandLine;
using System.Text.Json;
using CodedResNeXt;
using CodedResNeXt.Benchmarking;
using CodedResNeXt.Model;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>`crx bench`: training and inference throughput and peak memory of a coded network and its variants.</summary>
internal static class BenchVerb
{
    /// <summary>What a `bench` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string? Arch, int Batch, int Threads, int Steps, int Repeats, double EarlyExit, bool Json, bool Profile, string Device, int? MemorySteps, double MinRepeatSeconds, bool Materializing, string? Precision,
        bool Inference, bool BatchGiven, int CalibrationImages);

    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Preset (cifar10, fashion-small, …) or architecture JSON file (required, except with --inference)" };
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
        var inference = new Option<bool>("--inference")
        {
            Description = "Instead: one inference table for fashion-tiny and the cifar10 preset (or --arch) and their class-0 classifiers: " +
                          "TorchSharp float32, ONNX Runtime float32 and int8 (also with grouped convs float), early exit; images/s at batch 1 and " +
                          "--batch (default 64 here), p50 latency at batch 1, file size, peak memory",
        };
        var calibrationImages = new Option<int>("--calibration-images")
        {
            Description = "With --inference: synthetic images the int8 files are calibrated on", DefaultValueFactory = _ => 64,
        };
        var command = new Command("bench", "Measure images/s (training step, inference at batch 1 and B) and peak memory of a coded network, its control, " +
            "the extracted class-0 classifier and early exit (with --materializing, the materializing form too), on synthetic inputs, " +
            "beside the machine's limit: a dense 3x3 convolution's rate in the same process.")
        {
            arch, batch, threads, steps, repeats, minSeconds, target, json, materializing, profile, memorySteps, device, precision, inference, calibrationImages,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(arch)!, p.GetValue(batch), p.GetValue(threads), p.GetValue(steps), p.GetValue(repeats),
            p.GetValue(target), p.GetValue(json), p.GetValue(profile), p.GetValue(device)!, p.GetValue(memorySteps), p.GetValue(minSeconds), p.GetValue(materializing), p.GetValue(precision),
            p.GetValue(inference), p.GetResult(batch) is { Implicit: false }, p.GetValue(calibrationImages))));
        return command;
    }

    private static int Run(Arguments a)
    {
        // The lab checks its options (each rule once); errors name a property, which CliErrors turns into its flag.
        new BenchmarkOptions(a.Batch, a.Threads, a.Steps, a.Repeats, EarlyExitTarget: a.EarlyExit, MinRepeatSeconds: a.MinRepeatSeconds)
        {
            CalibrationImages = a.CalibrationImages,
        }.Validate();
        if (a.Inference) return RunInference(a);
        if (a.Arch is null) throw new InvalidInputException("--arch: give the architecture to benchmark (only --inference has a default)");
        var onDevice = Crx.Cli.DeviceOption.Resolve(a.Device);
        var precision = Crx.Cli.PrecisionOption.Parse(a.Precision, CodedResNeXt.Runtime.Precision.Float32);
        ArchitectureSpec architecture;
        try { architecture = ArchitectureSpec.Load(a.Arch!); }
        catch (InvalidInputException e) when (e.File is null) { throw e.AboutOption("Architecture"); }
        if (a.MemorySteps is { } memorySteps)
        {
            var memory = Benchmark.MemoryOverSteps(architecture, a.Batch, a.Threads, memorySteps,
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
            var breakdown = Benchmark.ProfileTrainingStep(architecture, a.Batch, a.Threads, a.Steps * a.Repeats, precision: precision);
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
        var result = Benchmark.Run(architecture, options, progress);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(result.Architecture)}[/], {result.MacsPerImage / 1e9:F3} GMAC per image forward, batch {result.Batch}, " +
            $"{result.Threads} threads, on {onDevice}, {Crx.Cli.PrecisionOption.Show(options.Precision)}, median of {result.Repeats} repeats of at least {result.Steps} steps and {a.MinRepeatSeconds:0.#} s, ±half their spread");
        // A row per figure and a column per variant: a column per figure made eight columns, which an 80-column terminal
        // (the default, and `script`'s) wrapped cell by cell. Whole images/s: the spread of repeats is larger than a tenth.
        static string T(Throughput? t) => t is null ? "-" : $"{t.Median.ToString(t.Median >= 100 ? "F0" : "F1")} ±{t.Spread / 2 * 100:F0}%";
        static string M(long? b) => b is { } v ? $"{v / 1048576.0:F0} MiB" : "n/a";
        static string Short(string variant) => variant switch { "extracted class 0" => "class 0", "materializing" => "mat. form", _ => variant };
        var table = new Table().AddColumn("");
        foreach (var v in result.Variants) table.AddColumn(new TableColumn(DisplayText.Markup(Short(v.Name))).RightAligned());
        void Row(string figure, Func<VariantFigures, string> cell) => table.AddRow([figure, .. result.Variants.Select(cell)]);
        Row("train img/s", v => T(v.Training));
        Row("  of the limit", v => v.TrainingFractionOfLimit is { } f ? f.ToString("P0") : "-");
        Row($"infer img/s, B={result.Batch}", v => T(v.InferenceBatch));
        Row("infer img/s, B=1", v => T(v.InferenceSingle));
        Row("parameters", v => v.Parameters.ToString("N0"));
        Row("peak RSS", v => M(v.PeakResidentBytes));
        Row("libtorch heap", v => M(v.PeakNativeHeapBytes));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("class 0: class 0's binary classifier, extracted; early exit: the coded network stopping at its first confident decoder" +
            (result.Variants.Any(v => v.Name == "materializing") ? "; mat. form: the coded network with its blocks in the materializing form" : ""));
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

    /// <summary>`crx bench --inference`: the deployment table (<see cref="Benchmark.Inference"/>).</summary>
    private static int RunInference(Arguments a)
    {
        if (a.Profile || a.MemorySteps is not null || a.Materializing)
            throw new InvalidInputException("--inference: times inference only; leave out --profile, --memory-steps and --materializing");
        if (a.Device is not ("auto" or "cpu")) throw new InvalidInputException($"--device: --inference runs on the CPU, not {a.Device}");
        var options = new BenchmarkOptions(a.BatchGiven ? a.Batch : 64, a.Threads, a.Steps, a.Repeats, EarlyExitTarget: a.EarlyExit,
            MinRepeatSeconds: a.MinRepeatSeconds) { CalibrationImages = a.CalibrationImages };
        var result = Benchmark.Inference(a.Arch is null ? ["fashion-tiny", "cifar10"] : [a.Arch], options,
            a.Json ? null : new Progress<string>(name => Console.Error.WriteLine($"bench: {name}")));
        if (a.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CodedResNeXtModel.JsonOptions));
            return 0;
        }
        AnsiConsole.MarkupLine($"inference on the CPU, {result.Threads} threads for both engines, untrained weights and synthetic images " +
                               $"(int8 calibrated on {a.CalibrationImages} synthetic images), images/s as median ±half the spread of {result.Repeats} repeats");
        // Short names, so that the table fits a terminal of 80 columns.
        static string Short(string variant) => variant switch
        {
            InferenceRow.TorchFloat => "TorchSharp f32",
            InferenceRow.OrtFloat => "ORT f32",
            InferenceRow.OrtInt8 => "ORT int8",
            InferenceRow.OrtInt8GroupedFloat => "ORT int8, grouped f32",
            InferenceRow.EarlyExitVariant => "early exit",
            _ => variant,
        };
        var table = new Table().AddColumns("network, variant", "file", $"img/s B={result.Batch}", "img/s B=1", "p50 B=1", "peak RSS");
        static string T(Throughput t) => $"{t.Median:F1} ±{t.Spread / 2 * 100:F0}%";
        foreach (var group in result.Rows.GroupBy(r => r.Network))
        {
            table.AddRow($"[bold]{DisplayText.Markup(group.Key)}[/]", "", "", "", "", "");
            foreach (var r in group)
                table.AddRow("  " + DisplayText.Markup(Short(r.Variant)), $"{r.FileBytes / 1e6:F2} MB", T(r.Batch), T(r.Single),
                    $"{r.LatencyP50Milliseconds:F2} ms", r.PeakResidentBytes is { } p ? $"{p / 1048576.0:F0} MiB" : "n/a");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("ORT: ONNX Runtime; f32: float32; grouped f32: int8 with the grouped convolutions float; early exit runs in TorchSharp");
        foreach (var full in result.Rows.Select(r => r.Network).Where(n => !n.EndsWith(" class 0")).Distinct())
        {
            string R(double? x) => x is { } v ? $"{v:F2}x" : "-";
            AnsiConsole.MarkupLine($"{DisplayText.Markup(full)}: int8/float32 (ONNX Runtime, batch {result.Batch}) {R(result.Ratio(full, InferenceRow.OrtInt8, full, InferenceRow.OrtFloat))}, " +
                $"grouped float/int8 {R(result.Ratio(full, InferenceRow.OrtInt8GroupedFloat, full, InferenceRow.OrtInt8))}, " +
                $"class-0 int8 / full TorchSharp float32 {R(result.Ratio($"{full} class 0", InferenceRow.OrtInt8, full, InferenceRow.TorchFloat))}, " +
                $"early exit / TorchSharp float32 {R(result.Ratio(full, InferenceRow.EarlyExitVariant, full, InferenceRow.TorchFloat))}" +
                (result.Ratio(full, InferenceRow.EarlyExitVariant, full, InferenceRow.TorchFloat) is <= 1 ? " (does not pay here)" : ""));
        }
        return 0;
    }
}
