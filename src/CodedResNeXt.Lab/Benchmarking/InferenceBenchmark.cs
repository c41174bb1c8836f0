using System.Diagnostics;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Decoding;
using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Runtime;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarking;

/// <summary>What `crx bench --inference` measures and how long.</summary>
/// <param name="Architectures">the presets or architecture files to time (each: the full network and its class-0 classifier)</param>
/// <param name="Batch">the large batch (batch 1 is timed as well)</param>
/// <param name="Threads">threads of both engines (TorchSharp's for the whole process, ONNX Runtime's intra-op)</param>
/// <param name="Steps">timed calls per repeat, at least (more when a repeat would last under <paramref name="MinRepeatSeconds"/>)</param>
/// <param name="Repeats">timed repeats; images/s is their median</param>
/// <param name="WarmupSteps">untimed calls first</param>
/// <param name="MinRepeatSeconds">a repeat of fast calls runs this long at least</param>
/// <param name="CalibrationImages">synthetic images the int8 files are calibrated on (speed does not depend on the ranges)</param>
/// <param name="EarlyExitTarget">agreement the early-exit margins are calibrated for, on the synthetic batch</param>
/// <param name="Seed">seed of the weights and of the synthetic images</param>
internal sealed record InferenceBenchmarkOptions(IReadOnlyList<string> Architectures, int Batch = 64, int Threads = 2, int Steps = 6, int Repeats = 5,
    int WarmupSteps = 3, double MinRepeatSeconds = 1, int CalibrationImages = 64, double EarlyExitTarget = 0.99, int Seed = 1);

/// <summary>One row of the inference table: one engine and number format of one network.</summary>
/// <param name="Network">"{architecture}" (the full network) or "{architecture} class 0" (its extracted classifier)</param>
/// <param name="Variant">"TorchSharp float32", "ONNX Runtime float32", "ONNX Runtime int8", "ONNX Runtime int8, grouped float", "early exit (TorchSharp)"</param>
/// <param name="FileBytes">the file this variant runs from (.ckpt, .crxb or .onnx)</param>
/// <param name="Single">images/s at batch 1</param>
/// <param name="Batch">images/s at the large batch</param>
/// <param name="LatencyP50Milliseconds">the median time of one batch-1 call over every timed call</param>
/// <param name="PeakResidentBytes">peak resident set of the process while this variant ran (reset before it), null where it cannot be reset</param>
public sealed record InferenceRow(string Network, string Variant, long FileBytes, Throughput Single, Throughput Batch, double LatencyP50Milliseconds, long? PeakResidentBytes)
{
    /// <summary>The <see cref="Variant"/> of the network's eval forward in TorchSharp, float32.</summary>
    public const string TorchFloat = "TorchSharp float32";
    /// <summary>The <see cref="Variant"/> of the float32 ONNX export in ONNX Runtime.</summary>
    public const string OrtFloat = "ONNX Runtime float32";
    /// <summary>The <see cref="Variant"/> of the int8 ONNX export in ONNX Runtime.</summary>
    public const string OrtInt8 = "ONNX Runtime int8";
    /// <summary>The <see cref="Variant"/> of the int8 ONNX export with the grouped convolutions' weights float (<see cref="QuantizationOptions.QuantizeGroupedConvolutions"/> false).</summary>
    public const string OrtInt8GroupedFloat = "ONNX Runtime int8, grouped float";
    /// <summary>The <see cref="Variant"/> of the full network with early exit, in TorchSharp.</summary>
    public const string EarlyExitVariant = "early exit (TorchSharp)";
}

/// <summary>What `crx bench --inference` prints: the settings, one row per network and variant, and the ratios the goals name.</summary>
/// <param name="Batch">the large batch</param>
/// <param name="Threads">threads of both engines</param>
/// <param name="Repeats">timed repeats per figure</param>
/// <param name="Rows">every row, in the order measured</param>
public sealed record InferenceBenchmarkResult(int Batch, int Threads, int Repeats, IReadOnlyList<InferenceRow> Rows)
{
    /// <summary>Large-batch images/s of one row over another's, null when either is missing.</summary>
    public double? Ratio(string network, string variant, string overNetwork, string overVariant)
    {
        var a = Rows.FirstOrDefault(r => r.Network == network && r.Variant == variant);
        var b = Rows.FirstOrDefault(r => r.Network == overNetwork && r.Variant == overVariant);
        return a is null || b is null ? null : a.Batch.Median / b.Batch.Median;
    }
}

/// <summary>
/// Deployment choices side by side: for each architecture (untrained, seeded weights: speed does not depend on their
/// values) its full network and its class-0 classifier, each run by TorchSharp in float32, by ONNX Runtime from the
/// float32 export and from the int8 export (also with the grouped convolutions kept float), and the full network with
/// early exit; on one synthetic batch, at batch 1 and the large batch. The int8 files are calibrated on synthetic images.
/// </summary>
internal static class InferenceBenchmark
{
    private const string TorchFloat = InferenceRow.TorchFloat, OrtFloat = InferenceRow.OrtFloat, OrtInt8 = InferenceRow.OrtInt8,
        OrtInt8GroupedFloat = InferenceRow.OrtInt8GroupedFloat, EarlyExitVariant = InferenceRow.EarlyExitVariant;

    /// <summary>Writes the files into a temporary folder (deleted after), then times every variant.</summary>
    /// <param name="options">what to time and how long; counts under 1 are an <see cref="InvalidInputException"/></param>
    /// <param name="progress">the row being measured</param>
    public static InferenceBenchmarkResult Run(InferenceBenchmarkOptions options, IProgress<string>? progress = null)
    {
        // The counts were checked by BenchmarkOptions.Validate (Benchmark.Inference, the one caller).
        ProcessSettings.Apply(options.Threads);
        bool resetSupported = ProcessMemory.TryResetPeak();
        string folder = Path.Combine(Path.GetTempPath(), $"crx-inference-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(folder);
        var rows = new List<InferenceRow>();
        try
        {
            foreach (var name in options.Architectures)
                rows.AddRange(Architecture(name, folder, options, resetSupported, progress));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return new InferenceBenchmarkResult(options.Batch, options.Threads, options.Repeats, rows);
    }

    private static List<InferenceRow> Architecture(string name, string folder, InferenceBenchmarkOptions options, bool resetSupported, IProgress<string>? progress)
    {
        var schemes = CodingSchemeSet.BuiltInsAndFiles;
        ArchitectureSpec architecture;
        try { architecture = ArchitectureFile.LoadPresetOrFile(name, schemes); }
        catch (InvalidInputException e) when (e.File is null) { throw e.AboutOption("Architecture"); }
        var rows = new List<InferenceRow>();
        using var generator = new Generator((ulong)options.Seed);
        using var network = new CodedResNeXtNetwork(architecture, schemes, BlockImplementation.Fused, generator);
        network.eval();
        var classNames = Enumerable.Range(0, architecture.Classes).Select(k => $"class {k}").ToArray();
        var normalization = new Normalization(Enumerable.Repeat(0.5f, architecture.InputChannels).ToArray(), Enumerable.Repeat(0.25f, architecture.InputChannels).ToArray());
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, classNames, normalization, "synthetic", []);
        string stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(architecture.Name));
        string checkpoint = stem + ".ckpt";
        ModelFile.Write(checkpoint, meta, network);

        var classifierNetwork = network.ExtractPathsOf([0]);
        classifierNetwork.eval();
        var classifierMeta = ModelMetadata.Of(BinaryClassifierFile.Kind, classifierNetwork, classNames, normalization, "synthetic", []);
        string classifierFile = stem + "-class0.crxb";
        using var classifier = new ExtractedClassifier(classifierNetwork, new BinaryClassifierInfo(classifierMeta,
            new ClassifierSection([classNames[0]], [new ClassThreshold(0, classNames[0], 0, 0, 0, 0, 0, 0)], 0, checkpoint, network.ParameterCount)));
        BinaryClassifierFile.Save(classifierFile, classifier);

        var calibration = Synthetic(architecture, options.CalibrationImages, options.Seed + 1);
        var int8 = new QuantizationOptions { CalibrationSet = calibration, CalibrationImages = options.CalibrationImages };
        using var images = SyntheticBatch(architecture, options.Batch, options.Seed + 2);
        using var single = images.narrow(0, 0, 1).clone();
        float[] batchPixels = images.data<float>().ToArray(), singlePixels = single.data<float>().ToArray();

        foreach (var (label, net, source, sourceMeta) in new[] { (architecture.Name, network, checkpoint, meta), ($"{architecture.Name} class 0", classifierNetwork, classifierFile, BinaryClassifierFile.Metadata(classifier.Info)) })
        {
            string f32 = $"{source}.onnx", i8 = $"{source}.int8.onnx", i8Grouped = $"{source}.int8-grouped-float.onnx";
            OnnxModelExport.ExportFile(source, f32);
            OnnxModelExport.Export(net, sourceMeta, i8, int8);
            OnnxModelExport.Export(net, sourceMeta, i8Grouped, int8 with { QuantizeGroupedConvolutions = false });

            rows.Add(Measure(label, TorchFloat, source, options, resetSupported, progress,
                (x, _, _) => { using var noGrad = no_grad(); using var scope = NewDisposeScope(); net.call(x); }, images, single, batchPixels, singlePixels));
            foreach (var (variant, file) in new[] { (OrtFloat, f32), (OrtInt8, i8), (OrtInt8GroupedFloat, i8Grouped) })
            {
                using var onnx = OnnxModel.Load(file, options.Threads);
                rows.Add(Measure(label, variant, file, options, resetSupported, progress,
                    (_, pixels, batch) => onnx.Run(pixels, batch), images, single, batchPixels, singlePixels));
            }
            if (net == network && network.CodedBlocks.Count > 0)
            {
                // Calibrated on the synthetic batch against the untrained network's own predictions: what exiting costs
                // and saves here, not how often a trained model exits.
                var exits = EarlyExit.Calibrate(network, [images], options.EarlyExitTarget);
                rows.Add(Measure(label, EarlyExitVariant, source, options, resetSupported, progress,
                    (x, _, _) => { using var noGrad = no_grad(); using var scope = NewDisposeScope(); EarlyExit.Predict(network, x, exits); }, images, single, batchPixels, singlePixels));
            }
        }
        return rows;
    }

    private static InferenceRow Measure(string network, string variant, string file, InferenceBenchmarkOptions options, bool resetSupported, IProgress<string>? progress,
        Action<Tensor, float[], int> run, Tensor images, Tensor single, float[] batchPixels, float[] singlePixels)
    {
        progress?.Report($"{network}: {variant}");
        GC.Collect();
        ProcessMemory.TryResetPeak();
        var latencies = new List<double>();
        var one = Time(() => run(single, singlePixels, 1), 1, options, latencies);
        var many = Time(() => run(images, batchPixels, (int)images.shape[0]), (int)images.shape[0], options, null);
        long? peak = resetSupported ? ProcessMemory.PeakResidentBytes() : null;
        latencies.Sort();
        return new InferenceRow(network, variant, new FileInfo(file).Length, one, many, latencies[latencies.Count / 2], peak);
    }

    /// <summary>Warm-up, then the repeats (each at least Steps calls and MinRepeatSeconds); every call's milliseconds into <paramref name="latencies"/>.</summary>
    private static Throughput Time(Action call, int imagesPerCall, InferenceBenchmarkOptions options, List<double>? latencies)
    {
        for (int i = 0; i < Math.Max(1, options.WarmupSteps); i++) call();
        var probe = Stopwatch.StartNew();
        call();
        int steps = Math.Max(options.Steps, (int)Math.Ceiling(options.MinRepeatSeconds / Math.Max(probe.Elapsed.TotalSeconds, 1e-6)));
        var rates = new List<double>();
        for (int r = 0; r < options.Repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                call();
                latencies?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            rates.Add(imagesPerCall * steps / clock.Elapsed.TotalSeconds);
        }
        var sorted = rates.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return new Throughput(median, sorted[0], sorted[^1], (sorted[^1] - sorted[0]) / median, rates);
    }

    /// <summary>Smooth random images (a random gray level per image plus noise), as bytes: the int8 files' calibration set.</summary>
    private static ImageDataset Synthetic(ArchitectureSpec architecture, int count, int seed)
    {
        var random = new Random(seed);
        int size = architecture.InputChannels * architecture.ImageSize * architecture.ImageSize;
        var pixels = new byte[(long)count * size];
        for (int i = 0; i < count; i++)
        {
            int level = random.Next(30, 220);
            for (int j = 0; j < size; j++) pixels[(long)i * size + j] = (byte)Math.Clamp(level + random.Next(-50, 51), 0, 255);
        }
        return new ImageDataset("synthetic", pixels, new int[count], Enumerable.Range(0, architecture.Classes).Select(k => $"class {k}").ToArray(),
            architecture.InputChannels, architecture.ImageSize, architecture.ImageSize);
    }

    private static Tensor SyntheticBatch(ArchitectureSpec architecture, int batch, int seed) =>
        randn([batch, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize], generator: new Generator((ulong)seed));
}
