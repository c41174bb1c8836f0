using CodedResNeXt.CodingSchemes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// Inference (eval mode, no_grad) of a full Coded ResNeXt against the binary classifier of class 0 extracted from it
/// (docs/method.md#what-a-trained-network-gives-you): fashion-small on 1x28x28 at batch 256, Coded ResNeXt-29 (cifar10 preset) on 3x32x32 at batch 32.
/// Random weights: the work does not depend on their values. libtorch runs single-threaded so that numbers on a
/// shared 2-core machine are stable; images/s = batch / mean.
/// Run: dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*ExtractedClassifierBenchmarks*'
/// </summary>
[Config(typeof(ShortInProcess))]
public class ExtractedClassifierBenchmarks
{
    /// <summary>A short run (3 warm-ups, 3 iterations) inside this process, where the build's libtorch patch applies.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    [Params("fashion-small", "cifar10")]
    public string Preset { get; set; } = "fashion-small";

    private CodedResNeXtNetwork _full = null!, _extracted = null!;
    private Tensor _images = null!;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var architecture = Presets.Get(Preset);
        int batch = Preset == "cifar10" ? 32 : 256;
        _full = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles);
        _full.eval();
        _extracted = _full.ExtractPathsOf([0]);
        _extracted.eval();
        _images = randn(batch, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _full.Dispose();
        _extracted.Dispose();
        _images.Dispose();
    }

    private void Forward(CodedResNeXtNetwork network)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.call(_images);
    }

    [Benchmark(Baseline = true)]
    public void Full() => Forward(_full);

    [Benchmark]
    public void Extracted() => Forward(_extracted);
}
