using System.Diagnostics;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>
/// Whether early exit saves time for a network at a batch size, measured: the early-exit pass and the full network's on
/// the same images. Exiting costs what the full network does not (a decode and a read-back after each coded block with a
/// threshold, the copy of the images still running), and on a small network or a batch few images leave early that
/// cost is larger than what the skipped blocks save.
/// </summary>
/// <param name="Batch">the images per pass the figures were measured at</param>
/// <param name="EarlyExitImagesPerSecond">the early-exit pass, fastest of the timed repeats</param>
/// <param name="FullImagesPerSecond">the full network's pass, fastest of the timed repeats</param>
public sealed record EarlyExitSpeed(int Batch, double EarlyExitImagesPerSecond, double FullImagesPerSecond)
{
    /// <summary>Early exit's speed over the full network's.</summary>
    public double SpeedUp => EarlyExitImagesPerSecond / FullImagesPerSecond;

    /// <summary>Whether exiting is faster than not exiting.</summary>
    public bool Pays => SpeedUp > 1;
}

internal static partial class EarlyExit
{
    /// <summary>
    /// Times the early-exit pass and the full network on <paramref name="images"/> (one warm-up each, then
    /// <paramref name="repeats"/> alternating timed passes; the fastest of each counts, the least disturbed).
    /// </summary>
    /// <param name="network">the network the calibration was made for</param>
    /// <param name="images">a batch of normalized images, as they will be predicted</param>
    /// <param name="calibration">the exit thresholds</param>
    /// <param name="repeats">timed passes of each kind</param>
    public static EarlyExitSpeed MeasureSpeed(CodedResNeXtNetwork network, Tensor images, EarlyExitCalibration calibration, int repeats = 3)
    {
        bool wasTraining = network.training;
        network.eval();
        try
        {
            double Seconds(Action pass)
            {
                var clock = Stopwatch.StartNew();
                pass();
                return clock.Elapsed.TotalSeconds;
            }
            void Full()
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                // The read-back a prediction needs, so that both passes end with their answers on the host.
                network.call(images).Logits.argmax(1).data<long>().ToArray();
            }
            void Exit() => Predict(network, images, calibration);
            Full();
            Exit();
            double full = double.MaxValue, exit = double.MaxValue;
            for (int r = 0; r < Math.Max(1, repeats); r++)
            {
                exit = Math.Min(exit, Seconds(Exit));
                full = Math.Min(full, Seconds(Full));
            }
            long batch = images.shape[0];
            return new EarlyExitSpeed((int)batch, batch / exit, batch / full);
        }
        finally { network.train(wasTraining); }
    }

    /// <summary>The calibration with every exit closed: the early-exit pass of it is the full network.</summary>
    internal static EarlyExitCalibration NoExits(EarlyExitCalibration calibration) =>
        calibration with { Thresholds = calibration.Thresholds.Select(_ => (double?)null).ToList() };
}
