using CodedResNeXt.Evaluation;
using CodedResNeXt.Runtime;
using System.Diagnostics;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarking;

/// <summary>What `crx bench` measures and how long.</summary>
/// <param name="Steps">timed steps per repeat, at least (more when a repeat would last under <paramref name="MinRepeatSeconds"/>)</param>
/// <param name="Repeats">timed repeats; the figure is their median</param>
/// <param name="WarmupSteps">untimed steps first (the heap grows to its peak, oneDNN picks its kernels)</param>
/// <param name="MinRepeatSeconds">a repeat of fast steps (batch-1 inference) runs this long at least, so that no repeat is a
/// handful of milliseconds at the mercy of one scheduler hiccup</param>
/// <param name="EarlyExitTarget">agreement the early-exit margins are calibrated for, on synthetic images</param>
/// <param name="Materializing">also time the materializing block form (the test oracle: slow, and several GB at cifar10 sizes)</param>
/// <param name="Batch">images per step, B; batch-1 inference is timed as well</param>
/// <param name="Threads">torch threads of the process (set for the whole process, not restored)</param>
/// <param name="Seed">seed of the synthetic images and labels and of the networks' initial weights</param>
public sealed record BenchmarkOptions(int Batch = 32, int Threads = 2, int Steps = 6, int Repeats = 5, int WarmupSteps = 3,
    double EarlyExitTarget = 0.99, int Seed = 1, double MinRepeatSeconds = 1, bool Materializing = false)
{
    /// <summary>Where the networks run (null: the CPU). Inputs and weights are drawn on the CPU, then moved.</summary>
    public Device? Device { get; init; }

    /// <summary>The compute precision of every variant's training step and inference, and of the limit's convolution.</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>For <see cref="Benchmark.Inference"/>: the synthetic images the int8 files are calibrated on (speed does not depend on the ranges).</summary>
    public int CalibrationImages { get; init; } = 64;

    /// <summary>Checks every count and range; an <see cref="InvalidInputException"/> names the property that is out of range.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(Batch), Batch), (nameof(Steps), Steps), (nameof(Repeats), Repeats), (nameof(CalibrationImages), CalibrationImages) })
            if (value < 1) throw InvalidInputException.ForOption(name, $"{value} must be at least 1");
        ProcessSettings.RequireThreads(Threads, nameof(Threads));
        if (WarmupSteps < 0) throw InvalidInputException.ForOption(nameof(WarmupSteps), $"{WarmupSteps} must be 0 or more");
        if (!(MinRepeatSeconds >= 0 && double.IsFinite(MinRepeatSeconds)))
            throw InvalidInputException.ForOption(nameof(MinRepeatSeconds), $"{MinRepeatSeconds} must be 0 or more");
        if (!(EarlyExitTarget is > 0 and <= 1))
            throw InvalidInputException.ForOption(nameof(EarlyExitTarget), $"{EarlyExitTarget} is not an agreement in (0, 1]");
    }
}

/// <summary>Throughput of one variant in images per second: the median over the repeats and the repeats' spread.</summary>
/// <param name="Spread">(max - min) / median over the repeats</param>
/// <param name="Median">median images per second over the repeats</param>
/// <param name="Min">slowest repeat, images per second</param>
/// <param name="Max">fastest repeat, images per second</param>
/// <param name="Repeats">images per second of each repeat, in the order they ran</param>
public sealed record Throughput(double Median, double Min, double Max, double Spread, IReadOnlyList<double> Repeats);

/// <summary>One network variant's figures (training figures are null for the inference-only variants).</summary>
/// <param name="PeakResidentBytes">peak resident set while this variant ran (VmHWM reset before it), null if unavailable</param>
/// <param name="PeakNativeHeapBytes">largest glibc heap in use seen after a forward or backward (libtorch's tensors)</param>
/// <param name="PeakResidentBytesPerImage">peak resident set over the batch size</param>
/// <param name="Name">the variant: "coded", "control", "extracted class 0", "early exit", "materializing"</param>
/// <param name="Parameters">the network's parameter count</param>
/// <param name="Training">training steps (forward, losses, backward, SGD step) at batch B; null for inference-only variants</param>
/// <param name="InferenceBatch">inference at batch B, without gradients</param>
/// <param name="InferenceSingle">inference of one image at a time</param>
public sealed record VariantFigures(string Name, long Parameters, Throughput? Training, Throughput InferenceBatch, Throughput InferenceSingle,
    long? PeakResidentBytes, long? PeakNativeHeapBytes, double? PeakResidentBytesPerImage)
{
    /// <summary>Training images/s over what <see cref="ConvolutionLimit"/> allows for this network's training FLOPs, in (0, 1] in practice; null without training figures or on a GPU.</summary>
    public double? TrainingFractionOfLimit { get; init; }
}

/// <summary>Ratios of images per second (median figures).</summary>
/// <param name="MaterializingOverFusedTraining">null unless the materializing form was asked for</param>
/// <param name="CodedOverControlTraining">coded network's training images/s over its control's</param>
/// <param name="CodedOverControlInference">coded network's batch inference images/s over its control's</param>
/// <param name="ExtractedOverFullInference">extracted class-0 classifier's batch inference images/s over the full coded network's</param>
/// <param name="EarlyExitOverFullInference">early-exit batch inference images/s over the coded network's without exits</param>
public sealed record BenchmarkRatios(double CodedOverControlTraining, double CodedOverControlInference, double? MaterializingOverFusedTraining,
    double ExtractedOverFullInference, double EarlyExitOverFullInference);

/// <summary>Early-exit figures on the synthetic images: a random-input benchmark, not an accuracy figure.</summary>
public sealed record EarlyExitBenchFigures(double Target,
    // JSON keeps the name crx bench --json has always printed.
    [property: System.Text.Json.Serialization.JsonPropertyName("flops_fraction")] double ComputeFraction, double ExitedFraction, IReadOnlyList<double?> Thresholds);

/// <summary>What `crx bench` prints (and writes with --json): the settings it ran with, every variant's figures and their ratios.</summary>
/// <param name="Architecture">the architecture's name</param>
/// <param name="MacsPerImage">multiply-accumulates of one image's forward pass through the coded network</param>
/// <param name="Batch">images per step, B</param>
/// <param name="Threads">torch threads the process ran with</param>
/// <param name="Steps">timed steps per repeat asked for (fast variants run more, see <see cref="BenchmarkOptions.MinRepeatSeconds"/>)</param>
/// <param name="Repeats">timed repeats per figure</param>
/// <param name="PeakResetSupported">whether the peak resident set could be reset per variant (Linux); without it the peaks are null</param>
/// <param name="Variants">one per variant, in the order measured</param>
/// <param name="Ratios">the ratios of the variants' median figures</param>
/// <param name="EarlyExit">what the early-exit variant skipped on the synthetic images</param>
/// <param name="Limit">the dense 3x3 convolution's rate in this process (the machine's own limit), null on a GPU</param>
public sealed record BenchmarkResult(string Architecture, long MacsPerImage, int Batch, int Threads, int Steps, int Repeats, bool PeakResetSupported,
    IReadOnlyList<VariantFigures> Variants, BenchmarkRatios Ratios, EarlyExitBenchFigures EarlyExit, ConvolutionLimit? Limit)
{
    /// <summary>The compute precision every figure was measured in.</summary>
    public Precision Precision { get; init; }
}

/// <summary>
/// Times, in one process and after warm-up, the training step (forward, losses, backward, SGD step) and inference of a
/// coded network, its control, the materializing form, its extracted class-0 classifier and early-exit inference, on
/// synthetic inputs. Each figure is the median of several repeats of many steps, so that it holds to a few percent on a
/// quiet machine; the spread says how quiet the machine was.
/// </summary>
public static class Benchmark
{
    /// <summary>
    /// Builds the coded network, its control and the other variants with fresh weights and times each on one synthetic
    /// batch (<c>crx bench</c>). Threads are set for the whole process.
    /// </summary>
    /// <param name="architecture">the network to time (<see cref="ArchitectureSpec.Load"/>); it must have a coded block</param>
    /// <param name="options">batch, threads, steps, repeats; a batch, thread, step or repeat count under 1 is an <see cref="InvalidInputException"/></param>
    /// <param name="progress">the name of each variant as its measurement starts</param>
    public static BenchmarkResult Run(ArchitectureSpec architecture, BenchmarkOptions options, IProgress<string>? progress = null) =>
        Run(architecture, CodingSchemeSet.BuiltInsAndFiles, options, progress);

    /// <summary>
    /// Deployment choices side by side (<c>crx bench --inference</c>): for each architecture its full network and its
    /// class-0 classifier, run by TorchSharp in float32 and by ONNX Runtime from the float32 and int8 exports, and the
    /// full network with early exit; untrained seeded weights and synthetic images, at batch 1 and the large batch.
    /// </summary>
    /// <param name="architectures">the presets or architecture files to time (each: the full network and its class-0 classifier)</param>
    /// <param name="options">the large batch, threads of both engines, steps, repeats, warm-up, the early-exit target, the int8
    /// files' calibration images, the seed (the device and precision are the CPU's float32); counts under 1 are an <see cref="InvalidInputException"/></param>
    /// <param name="progress">the row being measured</param>
    public static InferenceBenchmarkResult Inference(IReadOnlyList<string> architectures, BenchmarkOptions options, IProgress<string>? progress = null)
    {
        options.Validate();
        return InferenceBenchmark.Run(new InferenceBenchmarkOptions(architectures, options.Batch, options.Threads, options.Steps, options.Repeats,
            options.WarmupSteps, options.MinRepeatSeconds, options.CalibrationImages, options.EarlyExitTarget, options.Seed), progress);
    }

    /// <summary>
    /// Whether a training run's memory stays flat (<c>crx bench --memory-steps</c>): a freshly initialized coded network
    /// trained <paramref name="steps"/> times on one synthetic batch, the resident set read about every steps/200 steps.
    /// </summary>
    /// <param name="architecture">the network to train</param>
    /// <param name="batch">images per step</param>
    /// <param name="threads">torch threads, set for the whole process</param>
    /// <param name="steps">training steps, at least 20 (fewer is an <see cref="InvalidInputException"/>)</param>
    /// <param name="progress">steps done, at each sample</param>
    /// <param name="seed">seed of the weights, the dropped subNNs and the synthetic batch</param>
    /// <param name="precision">the training step's compute precision (bf16 where the CPU computes it natively)</param>
    public static MemoryOverStepsResult MemoryOverSteps(ArchitectureSpec architecture, int batch, int threads, int steps,
        IProgress<int>? progress = null, int seed = 1, Precision precision = Precision.Float32) =>
        Benchmarking.MemoryOverSteps.Run(architecture, CodingSchemeSet.BuiltInsAndFiles, batch, threads, steps, progress, seed, precision);

    /// <summary>
    /// Where a training step's time goes (<c>crx bench --profile</c>): <paramref name="steps"/> training steps of a freshly
    /// initialized coded network on synthetic images loaded and augmented as the trainer does, by phase, and its forward
    /// by kind of operation.
    /// </summary>
    /// <param name="architecture">the network to profile; 3-channel images get CIFAR-10's augmentation, others Fashion-MNIST's</param>
    /// <param name="batch">images per step</param>
    /// <param name="threads">torch threads, set for the whole process, and the loader's threads</param>
    /// <param name="steps">profiled steps</param>
    /// <param name="seed">seed of the weights, the synthetic images and the loader's shuffle</param>
    /// <param name="precision">the forward passes' compute precision (bf16 where the CPU computes it natively)</param>
    public static TrainingStepProfileResult ProfileTrainingStep(ArchitectureSpec architecture, int batch, int threads, int steps, int seed = 1,
        Precision precision = Precision.Float32) =>
        TrainingStepProfile.Run(architecture, CodingSchemeSet.BuiltInsAndFiles, batch, threads, steps, seed, precision);

    internal static BenchmarkResult Run(ArchitectureSpec architecture, CodingSchemeSet schemes, BenchmarkOptions options, IProgress<string>? progress = null)
    {
        options.Validate();
        if (!architecture.Blocks.Any(b => b.IsCoded))
            throw InvalidInputException.ForOption("Architecture", $"'{architecture.Name}' has no coded block; the benchmark compares a coded network with its control");
        ProcessSettings.Apply(options.Threads);
        Autocast.RequireSupport(options.Precision, options.Device ?? CPU);
        bool resetSupported = ProcessMemory.TryResetPeak();
        using var generator = new Generator((ulong)options.Seed);
        var device = options.Device ?? CPU;
        using var images = randn([options.Batch, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize], generator: generator).to(device);
        using var labels = randint(architecture.Classes, [options.Batch], generator: generator).to(device);
        // A GPU runs asynchronously: reading a value back waits for the queued work, so the clock sees all of it.
        Action sync = device.type == DeviceType.CPU ? () => { } : () => { using var total = images.sum(); total.item<float>(); };
        var variants = new List<VariantFigures>();

        var session = new Session(images, labels, options, sync, new CodingObjective(Mu: 6), resetSupported, progress);
        VariantFigures Measure(string name, CodedResNeXtNetwork network, bool train, Func<Tensor, object>? infer = null) =>
            session.Measure(name, network, train, infer);

        using (var coded = new CodedResNeXtNetwork(architecture, schemes, BlockImplementation.Fused, generator))
        {
            coded.to(device);
            variants.Add(Measure("coded", coded, train: true));
            // The control right after the coded network, before the materializing form has grown the heap: the pair
            // whose ratio matters is measured under the same conditions.
            using (var control = new CodedResNeXtNetwork(architecture.ToControl(), schemes, BlockImplementation.Fused, generator))
            {
                control.to(device);
                variants.Add(Measure("control", control, train: true));
            }

            using var extracted = coded.ExtractPathsOf([0]);
            variants.Add(Measure("extracted class 0", extracted, train: false));

            // Calibrated on the synthetic batch against the untrained network's own predictions: exit rates here say
            // nothing about a trained model (crx eval --early-exit does), only what the skipping machinery costs.
            var calibration = CalibrateOn(coded, images, options.EarlyExitTarget);
            var exitPredictions = EarlyExit.Predict(coded, images, calibration);
            var cost = ComputeCost.Of(architecture);
            variants.Add(Measure("early exit", coded, train: false, x => EarlyExit.Predict(coded, x, calibration)));
            var exitFigures = new EarlyExitBenchFigures(options.EarlyExitTarget,
                exitPredictions.Cost.Average(c => (double)c / cost.Total), exitPredictions.ExitBlock.Count(b => b >= 0) / (double)options.Batch,
                calibration.Thresholds);

            if (options.Materializing)
            {
                coded.Implementation = BlockImplementation.Materializing;
                variants.Add(Measure("materializing", coded, train: true));
            }

            // The limit last, so that its convolutions do not warm or grow the heap for the networks' figures.
            progress?.Report("dense 3x3 convolution (the limit)");
            var limit = device.type == DeviceType.CPU ? ConvolutionLimit.Measure(options.Batch, options.Repeats, Math.Min(options.MinRepeatSeconds, 1), options.Precision) : null;
            // The coded network, its control and the materializing form compute the same convolutions: the same FLOPs.
            double trainingFlops = ConvolutionLimit.TrainingFlops(cost.Total);
            if (limit is not null)
                variants = variants.Select(v => v.Training is { } t
                    ? v with { TrainingFractionOfLimit = t.Median / limit.ImagesPerSecond(trainingFlops) }
                    : v).ToList();

            VariantFigures V(string n) => variants.First(v => v.Name == n);
            var ratios = new BenchmarkRatios(
                V("coded").Training!.Median / V("control").Training!.Median,
                V("coded").InferenceBatch.Median / V("control").InferenceBatch.Median,
                options.Materializing ? V("materializing").Training!.Median / V("coded").Training!.Median : null,
                V("extracted class 0").InferenceBatch.Median / V("coded").InferenceBatch.Median,
                V("early exit").InferenceBatch.Median / V("coded").InferenceBatch.Median);
            return new BenchmarkResult(architecture.Name, cost.Total, options.Batch, options.Threads, options.Steps, options.Repeats, resetSupported,
                variants, ratios, exitFigures, limit) { Precision = options.Precision };
        }
    }

    /// <summary>What every variant is measured with: the same synthetic batch, options, clock and memory readings.</summary>
    private sealed record Session(Tensor Images, Tensor Labels, BenchmarkOptions Options, Action Sync, CodingObjective Objective,
        bool ResetSupported, IProgress<string>? Progress)
    {
        /// <summary>One variant: its training step (when <paramref name="train"/>), inference at batch B and 1, its peak memory.</summary>
        public VariantFigures Measure(string name, CodedResNeXtNetwork network, bool train, Func<Tensor, object>? infer = null)
        {
            Progress?.Report(name);
            GC.Collect();
            ProcessMemory.TryResetPeak();
            long heapPeak = 0;
            // Read during the untimed warm-up steps only: every step reaches the same peak, and reading glibc's heap
            // statistics walks its free lists, which the clock should not see.
            bool timing = false;
            void Heap() { if (!timing && ProcessMemory.NativeHeapBytes() is { } h) heapPeak = Math.Max(heapPeak, h); }
            Throughput? training = null;
            if (train)
            {
                using var optimizer = optim.SGD(network.parameters(), 0.01, 0.9, weight_decay: 5e-4, nesterov: true);
                using var running = new RunningMetrics(network.CodedBlocks.Count, network.Device);
                network.train();
                int stepsTaken = 0;
                // The trainer's own step (Trainer.TrainEpoch): zero_grad, TrainingStep.Backward, the SGD step, and the
                // running figures read back every 5 steps; only the batch is fixed instead of loaded.
                void Step()
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    // The control has no coded block, so its coding loss is zero: the same objective serves both.
                    TrainingStep.Backward(network, Objective, Images, Labels, accumulate: 1, running, Options.Precision);
                    Heap();
                    optimizer.step();
                    if (++stepsTaken % 5 == 0) running.Read();
                }
                training = Time(Step, Options.Batch, Options, Sync, () => timing = true);
                timing = false;
            }
            network.eval();
            infer ??= x => network.call(x).Logits;
            using var single = Images.narrow(0, 0, 1).clone();
            Throughput Infer(Tensor x)
            {
                var figure = Time(() =>
                {
                    using var noGrad = no_grad();
                    using var scope = NewDisposeScope();
                    using var precision = Autocast.Enter(Options.Precision);
                    infer(x);
                    Heap();
                }, (int)x.shape[0], Options, Sync, () => timing = true);
                timing = false;
                return figure;
            }
            var batchFigure = Infer(Images);
            var singleFigure = Infer(single);
            long? peak = ResetSupported ? ProcessMemory.PeakResidentBytes() : null;
            return new VariantFigures(name, network.ParameterCount, training, batchFigure, singleFigure, peak,
                heapPeak > 0 ? heapPeak : null, peak is { } p ? (double)p / Options.Batch : null);
        }
    }

    private static EarlyExitCalibration CalibrateOn(CodedResNeXtNetwork network, Tensor images, double target) =>
        EarlyExit.Calibrate(network, [images], target);

    /// <summary>
    /// Warm-up, then <c>Repeats</c> timed runs of <c>Steps</c> calls (or as many as fill <c>MinRepeatSeconds</c>, judged
    /// from one more timed warm-up call); images per second of each run.
    /// </summary>
    private static Throughput Time(Action step, int imagesPerStep, BenchmarkOptions options, Action sync, Action? warmedUp = null)
    {
        for (int i = 0; i < Math.Max(1, options.WarmupSteps); i++) step();
        sync();
        warmedUp?.Invoke();
        var probe = Stopwatch.StartNew();
        step();
        sync();
        int steps = Math.Max(options.Steps, (int)Math.Ceiling(options.MinRepeatSeconds / Math.Max(probe.Elapsed.TotalSeconds, 1e-6)));
        var rates = new List<double>();
        for (int r = 0; r < options.Repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) step();
            sync();
            rates.Add(imagesPerStep * steps / clock.Elapsed.TotalSeconds);
        }
        var sorted = rates.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return new Throughput(median, sorted[0], sorted[^1], (sorted[^1] - sorted[0]) / median, rates);
    }
}
