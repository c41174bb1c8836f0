using CodedResNeXt.Runtime;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarking;

/// <summary>Resident memory sampled while the coded network trained on one synthetic batch, step after step.</summary>
/// <param name="Samples">(steps done, resident bytes) after each sampled step</param>
/// <param name="SecondTenthMedian">median resident bytes over the samples of the second tenth of the steps (in the
/// first, the heap grows to the step's working size)</param>
/// <param name="LastTenthMedian">the same over the last tenth: growth shows as a larger figure here</param>
/// <param name="Architecture">the architecture's name</param>
/// <param name="Batch">images per step</param>
/// <param name="Threads">torch threads the process ran with</param>
/// <param name="Steps">training steps run</param>
/// <param name="PeakBytes">peak resident set of the process (VmHWM), else the largest sample</param>
public sealed record MemoryOverStepsResult(string Architecture, int Batch, int Threads, int Steps, IReadOnlyList<(int Step, long Bytes)> Samples,
    long SecondTenthMedian, long LastTenthMedian, long PeakBytes)
{
    /// <summary>Last tenth over second tenth of the run: 1 is flat.</summary>
    public double Growth => (double)LastTenthMedian / SecondTenthMedian;
}

/// <summary>
/// Whether a training run's memory stays flat: the trainer's step (forward, losses, backward, SGD) on the coded network,
/// many times, the resident set read every few steps. A leak of one tensor per step, or a heap that fragments, shows
/// as a last tenth above the second (the first is the heap growing to its working size).
/// </summary>
internal static class MemoryOverSteps
{
    /// <summary>Trains a freshly initialized coded network <paramref name="steps"/> times on one synthetic batch, reading the resident set about every steps/200 steps.</summary>
    /// <param name="architecture">the network to train</param>
    /// <param name="schemes">the coding schemes of its coded blocks</param>
    /// <param name="batch">images per step</param>
    /// <param name="threads">torch threads, set for the whole process</param>
    /// <param name="steps">training steps, at least 20 (fewer is an <see cref="InvalidInputException"/>)</param>
    /// <param name="progress">steps done, at each sample</param>
    /// <param name="seed">seed of the weights, the dropped subNNs and the synthetic batch</param>
    /// <param name="precision">the training step's compute precision</param>
    public static MemoryOverStepsResult Run(ArchitectureSpec architecture, CodingSchemeSet schemes, int batch, int threads, int steps,
        IProgress<int>? progress = null, int seed = 1, Precision precision = Precision.Float32)
    {
        if (steps < 20) throw InvalidInputException.ForOption("MemorySteps", $"{steps} are too few to see a trend; give at least 20");
        Autocast.RequireSupport(precision, CPU);
        ProcessSettings.Apply(threads);
        using var generator = new Generator((ulong)seed);
        using var network = new CodedResNeXtNetwork(architecture, schemes, BlockImplementation.Fused, generator);
        network.DropGenerator = generator;
        using var optimizer = optim.SGD(network.parameters(), 0.01, 0.9, weight_decay: 5e-4, nesterov: true);
        using var images = randn([batch, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize], generator: generator);
        using var labels = randint(architecture.Classes, [batch], generator: generator);
        var objective = new CodingObjective(Mu: 6);
        network.train();
        int every = Math.Max(1, steps / 200);
        var samples = new List<(int, long)>();
        for (int s = 1; s <= steps; s++)
        {
            // The trainer's own step (Trainer: zero_grad, TrainingStep.Backward, step), so what is measured is what trains.
            optimizer.zero_grad();
            TrainingStep.Backward(network, objective, images, labels, accumulate: 1, running: null, precision);
            optimizer.step();
            if (s % every == 0 && ProcessMemory.ResidentBytes() is { } bytes)
            {
                samples.Add((s, bytes));
                progress?.Report(s);
            }
        }
        long Median(IEnumerable<long> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
        }
        int tenth = Math.Max(1, steps / 10);
        return new MemoryOverStepsResult(architecture.Name, batch, threads, steps, samples,
            Median(samples.Where(x => x.Item1 > tenth && x.Item1 <= 2 * tenth).Select(x => x.Item2)),
            Median(samples.Where(x => x.Item1 > steps - tenth).Select(x => x.Item2)),
            ProcessMemory.PeakResidentBytes() ?? samples.Select(x => x.Item2).DefaultIfEmpty().Max());
    }
}
