using CodedResNeXt.Benchmarking;
using CodedResNeXt.Model;
using CodedResNeXt.Runtime;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Benchmarking;

/// <summary>
/// The benchmarks `crx bench` runs are the lab's public <see cref="Benchmark"/> (BenchVerbTests time them through the
/// tool): each refuses what it cannot measure before any work, naming the option.
/// </summary>
public class BenchmarkApiTests
{
    [Fact]
    public void Every_benchmark_refuses_what_it_cannot_measure_before_any_work()
    {
        var tiny = Synthetic.Architecture();
        Assert.Equal(("Batch", "0 must be at least 1"), Assert.Throws<InvalidInputException>(() => Benchmark.Run(tiny, new BenchmarkOptions(Batch: 0))) is var e ? (e.Option, e.Problem) : default);
        var uncoded = Assert.Throws<InvalidInputException>(() => Benchmark.Run(tiny.ToControl(), new BenchmarkOptions()));
        Assert.Equal("Architecture", uncoded.Option);
        Assert.Equal("MemorySteps", Assert.Throws<InvalidInputException>(() => Benchmark.MemoryOverSteps(tiny, batch: 2, threads: 1, steps: 5)).Option);
        Assert.Equal("CalibrationImages", Assert.Throws<InvalidInputException>(
            () => Benchmark.Inference(["fashion-tiny"], new BenchmarkOptions { CalibrationImages = 0 })).Option);
        if (!Autocast.HasNativeBFloat16(TorchSharp.torch.CPU))
            Assert.Equal("Precision", Assert.Throws<InvalidInputException>(
                () => Benchmark.ProfileTrainingStep(tiny, batch: 2, threads: 1, steps: 1, precision: Precision.BFloat16)).Option);
    }
}
