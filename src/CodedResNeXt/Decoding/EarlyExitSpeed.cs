using CodedResNeXt.Evaluation;
using System.Diagnostics;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

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
