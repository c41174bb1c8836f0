using CodedResNeXt.Training;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// Forward + backward of one block in training mode (BN batch statistics, dropSubNNs, coding loss):
/// uncoded ResNeXt block vs the coded block's fused form vs its materializing form (docs/method.md#energy-and-the-coding-loss,
/// the fused form). libtorch runs single-threaded so that numbers on a shared 2-core machine are stable.
/// Run: dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*BlockBenchmarks*'
/// </summary>
[Config(typeof(ShortInProcess))]
public class BlockBenchmarks
{
    /// <summary>A short run (3 warm-ups, 3 iterations) inside this process: the native libtorch patch applies to
    /// this build's output only, and a coded ResNeXt-29 block step takes seconds in the materializing form.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    /// <summary>fashion-c2: [64, 4, 5/10] at 14x14, batch 128 (fashion-small, first stage);
    /// cifar10-c3: [512, 22, 5/10] at 16x16, batch 32 (Coded ResNeXt-29 10x11d, second stage).</summary>
    [Params("fashion-c2", "cifar10-c3")]
    public string Shape { get; set; } = "fashion-c2";

    private static readonly CodingObjective Objective = new(Mu: 1);
    private ResNeXtBlock _uncoded = null!, _fused = null!, _materializing = null!;
    private Tensor _x = null!, _labels = null!, _mask = null!;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var scheme = BuiltInSchemes.Get("cifar10/5/10");
        var (channels, d, size, batch) = Shape == "fashion-c2" ? (64, 4, 14, 128) : (512, 22, 16, 32);
        var spec = new BlockSpec("c", channels, channels, d, 10, 1, scheme.Name, 0.1);
        _uncoded = new ResNeXtBlock(spec with { Scheme = null, PDrop = 0 }, null, BlockImplementation.Fused);
        _fused = new ResNeXtBlock(spec, scheme, BlockImplementation.Fused);
        _materializing = new ResNeXtBlock(spec, scheme, BlockImplementation.Materializing);
        _x = randn(batch, channels, size, size);
        _labels = randint(0, 10, [batch], dtype: ScalarType.Int64);
        _mask = DropSubNNs.DrawMask(batch, 10, 0.1, CPU);
    }

    private void Step(ResNeXtBlock block, Tensor? labels, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        block.zero_grad();
        var output = block.call(new BlockInput(_x, mask));
        var loss = output.Output.square().mean();
        // The coding loss as training computes it (Training/CodingObjective), from the energies and the labels' codewords.
        if (output.Energies is not null && labels is not null)
            loss = loss + Objective.BlockLoss(output.Energies, block.Codewords!.index_select(0, labels), block.Scheme!.Ratio);
        loss.backward();
    }

    [Benchmark(Baseline = true)]
    public void Uncoded() => Step(_uncoded, null, null);

    [Benchmark]
    public void Fused() => Step(_fused, _labels, _mask);

    [Benchmark]
    public void Materializing() => Step(_materializing, _labels, _mask);
}
