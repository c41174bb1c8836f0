using CodedResNeXt.Runtime;
using System.Diagnostics;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarking;

/// <summary>Milliseconds per training step spent in one phase (median over the profiled steps).</summary>
public sealed record ProfilePhase(string Name, double Milliseconds, double Share);

/// <summary>Where a training step's time goes, by phase of the step and, for the forward pass, by kind of operation.</summary>
/// <param name="StepMilliseconds">median wall time of a whole step</param>
/// <param name="Phases">data, stem, each stage's blocks, head, losses, backward, optimizer, disposal; shares of the step</param>
/// <param name="ForwardOps">the forward of every block split into 1x1 convs, the grouped 3x3 conv, BN, ReLU and the rest (energy terms, residual add), timed op by op</param>
/// <param name="Architecture">the architecture's name</param>
/// <param name="Batch">images per step</param>
/// <param name="Threads">torch threads (and loader threads) the step ran with</param>
/// <param name="Steps">profiled steps, after two warm-up steps</param>
public sealed record TrainingStepProfileResult(string Architecture, int Batch, int Threads, int Steps, double StepMilliseconds,
    IReadOnlyList<ProfilePhase> Phases, IReadOnlyList<ProfilePhase> ForwardOps);

/// <summary>
/// Profiles the trainer's step with a stopwatch around each phase. On the CPU every libtorch call returns when its
/// work is done, so wall-clock intervals between calls are the phases' real costs (no device sync is needed); the
/// backward pass is one libtorch call and is reported whole. The forward ops are timed separately, one by one on the
/// block's own modules, in training mode.
/// </summary>
internal static class TrainingStepProfile
{
    /// <summary>Profiles <paramref name="steps"/> training steps of a freshly initialized coded network on synthetic images loaded and augmented as the trainer does.</summary>
    /// <param name="architecture">the network to profile; 3-channel images get CIFAR-10's augmentation, others Fashion-MNIST's</param>
    /// <param name="schemes">the coding schemes of its coded blocks</param>
    /// <param name="batch">images per step</param>
    /// <param name="threads">torch threads, set for the whole process, and the loader's threads</param>
    /// <param name="steps">profiled steps</param>
    /// <param name="seed">seed of the weights, the synthetic images and the loader's shuffle</param>
    /// <param name="precision">the forward passes' compute precision (<see cref="Autocast"/>)</param>
    public static TrainingStepProfileResult Run(ArchitectureSpec architecture, CodingSchemeSet schemes, int batch, int threads, int steps, int seed = 1,
        Precision precision = Precision.Float32)
    {
        Autocast.RequireSupport(precision, CPU);
        ProcessSettings.Apply(threads);
        // The phases' forward runs in the asked precision (the backward replays it); the op-by-op breakdown calls the
        // blocks' modules directly, which take float32 only, so it stays float32 (ForwardOps).
        var autocast = Autocast.Enter(precision);
        using var generator = new Generator((ulong)seed);
        using var network = new CodedResNeXtNetwork(architecture, schemes, BlockImplementation.Fused, generator);
        network.DropGenerator = generator;
        using var optimizer = optim.SGD(network.parameters(), 0.01, 0.9, weight_decay: 5e-4, nesterov: true);
        var objective = new CodingObjective(Mu: 6);

        // Synthetic images of the architecture's size through the dataset recipe's augmentation, as the trainer loads them.
        int side = architecture.ImageSize, channels = architecture.InputChannels, count = batch * 4;
        var rng = new Random(seed);
        var pixels = new byte[count * channels * side * side];
        rng.NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => i % architecture.Classes).ToArray();
        var dataset = new ImageDataset("synthetic", pixels, labels, Enumerable.Range(0, architecture.Classes).Select(k => $"class{k}").ToList(), channels, side, side);
        string recipe = channels == 3 ? "cifar10" : "fashion-mnist";
        var loader = new BatchLoader(dataset, AugmentationPipeline.Training(DatasetRegistry.Get(recipe).Recipe.Augmentation, Normalization.Compute(dataset)),
            new LoaderOptions { BatchSize = batch, Shuffle = true, DropLast = true, Seed = seed, Threads = threads });

        var stageOf = architecture.Blocks.Select(b => "blocks " + b.Stage).ToList();
        var names = new List<string> { "data (load, augment, to tensors)", "stem" };
        names.AddRange(stageOf.Distinct());
        names.AddRange(["head", "cross-entropy", "coding loss", "backward", "zero_grad + SGD step", "dispose temporaries"]);
        var samples = names.ToDictionary(n => n, _ => new List<double>());
        var total = new List<double>();
        network.train();
        for (int s = -2; s < steps; s++) // two warm-up steps
        {
            var times = names.ToDictionary(n => n, _ => 0.0);
            var step = Stopwatch.StartNew();
            var clock = Stopwatch.StartNew();
            double Lap() { double ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
            var scope = NewDisposeScope();
            var (images, target) = loader.Build(0, (s + 2) % loader.BatchCount).ToTensors();
            times[names[0]] += Lap();
            var x = network.ForwardStem(images);
            times["stem"] += Lap();
            var energies = new List<Tensor>();
            for (int i = 0; i < network.Blocks.Count; i++)
            {
                var blockOutput = network.ForwardIntermediates(x, i, i + 1);
                x = blockOutput.Output;
                energies.AddRange(blockOutput.Energies);
                times[stageOf[i]] += Lap();
            }
            var logits = network.ForwardHead(x);
            times["head"] += Lap();
            var crossEntropy = nn.functional.cross_entropy(logits, target);
            times["cross-entropy"] += Lap();
            var output = new NetworkOutput(logits, energies, network.CodedBlocks.Select(b => b.BlockIndex).ToList());
            var loss = crossEntropy + objective.Mu * objective.Compute(network, output, target).Total;
            times["coding loss"] += Lap();
            loss.backward();
            times["backward"] += Lap();
            optimizer.step();
            optimizer.zero_grad();
            times["zero_grad + SGD step"] += Lap();
            scope.Dispose();
            times["dispose temporaries"] += Lap();
            double whole = step.Elapsed.TotalMilliseconds;
            if (s < 0) continue;
            total.Add(whole);
            foreach (var (n, ms) in times) samples[n].Add(ms);
        }
        double stepMs = Median(total);
        var phases = names.Select(n => new ProfilePhase(n, Median(samples[n]), Median(samples[n]) / stepMs)).ToList();
        autocast.Dispose();
        return new TrainingStepProfileResult(architecture.Name, batch, threads, steps, stepMs, phases, ForwardOps(network, loader, steps));
    }

    /// <summary>Each block's forward op by op (training mode, no autograd recording so nothing is kept), grouped by kind; in float32.</summary>
    private static IReadOnlyList<ProfilePhase> ForwardOps(CodedResNeXtNetwork network, BatchLoader loader, int steps)
    {
        var kinds = new Dictionary<string, List<double>>
        {
            ["1x1 convolutions (reduce, expand, shortcut)"] = [], ["grouped 3x3 convolution"] = [], ["batch norm"] = [], ["ReLU"] = [],
            ["energy terms, residual add, rest"] = [],
        };
        using var noGrad = no_grad();
        network.train();
        for (int s = -1; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var (images, _) = loader.Build(0, 0).ToTensors();
            var x = network.ForwardStem(images);
            var sums = kinds.Keys.ToDictionary(k => k, _ => 0.0);
            for (int i = 0; i < network.Blocks.Count; i++)
            {
                var block = network.Blocks[i];
                var modules = block.named_children().ToDictionary(c => c.name, c => c.module);
                double before = sums.Values.Sum();
                var clock = Stopwatch.StartNew();
                double Lap() { double ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
                Tensor Call(string name, Tensor input) => ((nn.Module<Tensor, Tensor>)modules[name]).call(input);
                var h = Call("conv_reduce", x); sums["1x1 convolutions (reduce, expand, shortcut)"] += Lap();
                h = Call("bn_reduce", h); sums["batch norm"] += Lap();
                h = h.relu_(); sums["ReLU"] += Lap();
                h = Call("conv_conv", h); sums["grouped 3x3 convolution"] += Lap();
                h = Call("bn", h); sums["batch norm"] += Lap();
                h = h.relu_(); sums["ReLU"] += Lap();
                var branch = Call("conv_expand", h); sums["1x1 convolutions (reduce, expand, shortcut)"] += Lap();
                branch = Call("bn_expand", branch); sums["batch norm"] += Lap();
                if (modules.TryGetValue("shortcut", out var shortcut))
                {
                    ((nn.Module<Tensor, Tensor>)shortcut).call(x);
                    sums["1x1 convolutions (reduce, expand, shortcut)"] += Lap();
                }
                // The whole block once more; what the ops above do not account for is the energy terms and the residual add.
                double ops = sums.Values.Sum() - before;
                clock.Restart();
                var next = block.call(new BlockInput(x, null, null)).Output;
                sums["energy terms, residual add, rest"] += Math.Max(0, Lap() - ops);
                x = next;
            }
            if (s < 0) continue;
            foreach (var (k, ms) in sums) kinds[k].Add(ms);
        }
        double forward = kinds.Values.Sum(Median);
        return kinds.Select(k => new ProfilePhase(k.Key, Median(k.Value), Median(k.Value) / forward)).ToList();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
