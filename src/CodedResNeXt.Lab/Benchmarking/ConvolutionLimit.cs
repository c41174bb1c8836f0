using System.Diagnostics;
using CodedResNeXt.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarking;

/// <summary>
/// The machine's own limit for this kind of work: the rate at which this libtorch runs a dense 3x3 convolution forward
/// and backward (oneDNN's best case on a CPU), in FLOP/s. A network whose every FLOP ran at that rate would train at
/// <see cref="ImagesPerSecond"/>; `crx bench` prints every training figure as a fraction of it.
/// </summary>
/// <param name="FlopsPerSecond">the best rate over the shapes tried, forward + backward (2 FLOPs per multiply-accumulate)</param>
/// <param name="Shape">the shape that reached it: channels in = out, side, batch</param>
/// <param name="Spread">(max - min) / median of the best shape's repeats</param>
public sealed record ConvolutionLimit(double FlopsPerSecond, string Shape, double Spread)
{
    /// <summary>Images per second a network of <paramref name="trainingFlopsPerImage"/> would train at if every FLOP ran at the limit.</summary>
    /// <param name="trainingFlopsPerImage">FLOPs of one image's forward and backward</param>
    public double ImagesPerSecond(double trainingFlopsPerImage) => FlopsPerSecond / trainingFlopsPerImage;

    /// <summary>
    /// FLOPs of one training image: the forward's multiply-accumulates, twice (a MAC is 2 FLOPs), three times (the
    /// backward computes the gradients of the inputs and of the weights, each as costly as the forward).
    /// </summary>
    /// <param name="forwardMacs">multiply-accumulates of one image's forward</param>
    public static double TrainingFlops(long forwardMacs) => 6.0 * forwardMacs;

    /// <summary>
    /// Times a dense 3x3 convolution (stride 1, padding 1, no bias) forward and backward at a few shapes of the widths a
    /// ResNeXt has, in both memory orders, each as the median of <paramref name="repeats"/> runs of at least <paramref name="minSeconds"/>, and
    /// keeps the fastest shape.
    /// </summary>
    /// <param name="batch">images per step, as the benchmark's</param>
    /// <param name="repeats">timed runs per shape</param>
    /// <param name="minSeconds">how long a timed run lasts at least</param>
    /// <param name="precision">the convolution's compute precision (bfloat16: input and weight cast as <see cref="Autocast"/> casts them)</param>
    public static ConvolutionLimit Measure(int batch, int repeats = 3, double minSeconds = 1, Precision precision = Precision.Float32)
    {
        var type = precision == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        ConvolutionLimit? best = null;
        foreach (var (channels, side) in new[] { (64, 32), (128, 16), (256, 8) })
        foreach (bool channelsLast in new[] { false, true })
        {
            using var generator = new Generator(1);
            // Both memory orders: oneDNN is faster in one or the other depending on the shape, and the limit is the best.
            using var x = (channelsLast
                ? randn([batch, side, side, channels], generator: generator).to_type(type).permute(0, 3, 1, 2)
                : randn([batch, channels, side, side], generator: generator).to_type(type)).requires_grad_();
            using var weight = (randn([channels, channels, 3, 3], generator: generator) * 0.05f).to_type(type).requires_grad_();
            double flops = 6.0 * batch * channels * channels * 9.0 * side * side;
            void Step()
            {
                using var scope = NewDisposeScope();
                var y = nn.functional.conv2d(x, weight, padding: [1, 1]);
                y.sum().backward();
                x.grad?.zero_();
                weight.grad?.zero_();
            }
            for (int i = 0; i < 3; i++) Step();
            var probe = Stopwatch.StartNew();
            Step();
            int steps = Math.Max(1, (int)Math.Ceiling(minSeconds / Math.Max(probe.Elapsed.TotalSeconds, 1e-6)));
            var rates = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++) Step();
                rates.Add(flops * steps / clock.Elapsed.TotalSeconds);
            }
            rates.Sort();
            double median = rates[rates.Count / 2];
            if (best is null || median > best.FlopsPerSecond)
                best = new ConvolutionLimit(median,
                    $"{channels}->{channels} channels, {side}x{side}, batch {batch}, {(channelsLast ? "channels-last" : "channels-first")}, {(type == ScalarType.BFloat16 ? "bf16" : "fp32")}",
                    (rates[^1] - rates[0]) / median);
        }
        return best!;
    }
}
