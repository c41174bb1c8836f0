using CodedResNeXt.Evaluation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>Early exit against the full network on a labelled set.</summary>
internal static partial class EarlyExit
{
    /// <summary>Runs the early-exit and the full network over a labelled set and compares them.</summary>
    internal static EarlyExitResult Evaluate(CodedResNeXtNetwork network, BatchLoader loader, EarlyExitCalibration calibration,
        CancellationToken cancel = default)
    {
        var cost = ComputeCost.Of(network.Architecture);
        var outputClasses = network.Architecture.OutputClasses;
        long images = 0, correct = 0, fullCorrect = 0, agree = 0;
        double fraction = 0;
        var exits = new long[calibration.CodedBlockIndices.Count];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            foreach (var batch in loader.Epoch(0, cancel))
            {
                using var scope = NewDisposeScope();
                var (input, _) = batch.ToTensors(network.Device);
                long[] full;
                using (no_grad()) full = network.call(input).Logits.argmax(1).data<long>().ToArray();
                var early = Predict(network, input, calibration);
                for (int i = 0; i < batch.Count; i++)
                {
                    long label = batch.Labels[i];
                    images++;
                    if (outputClasses[(int)early.Predicted[i]] == label) correct++;
                    if (outputClasses[(int)full[i]] == label) fullCorrect++;
                    if (early.Predicted[i] == full[i]) agree++;
                    fraction += (double)early.Cost[i] / cost.Total;
                    int at = early.ExitBlock[i];
                    if (at >= 0) exits[calibration.CodedBlockIndices.ToList().IndexOf(at)]++;
                }
            }
        }
        finally { network.train(wasTraining); }
        double n = Math.Max(1, images);
        return new EarlyExitResult(calibration, (int)images, correct / n, fullCorrect / n, agree / n, fraction / n,
            exits.Select(e => e / n).ToList());
    }
}
