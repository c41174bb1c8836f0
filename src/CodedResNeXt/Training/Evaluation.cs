using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>What a network scores on a labelled set: top-1, per class, confusion, and every early decoder.</summary>
/// <param name="Confusion">[true class][predicted class] counts</param>
/// <param name="EarlyDecoderAccuracy">accuracy of each coded block used as an early decoder, in block order</param>
/// <param name="EarlyDecoderAgreement">how often each early decoder agrees with the network's final prediction</param>
public sealed record EvaluationResult(
    int Count,
    double Top1,
    IReadOnlyList<double> PerClassAccuracy,
    int[][] Confusion,
    IReadOnlyList<int> CodedBlockIndices,
    IReadOnlyList<double> EarlyDecoderAccuracy,
    IReadOnlyList<double> EarlyDecoderAgreement);

public static class Evaluation
{
    /// <summary>Runs the network in eval mode over one pass of <paramref name="batches"/>; restores the previous mode afterwards.</summary>
    public static EvaluationResult Run(CodedResNeXtNetwork network, BatchLoader batches, int classes)
    {
        bool wasTraining = network.training;
        network.eval();
        var decoders = network.CodedBlocks.Select(b => new EarlyDecoder(b.Scheme)).ToList();
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        var decoderCorrect = new long[decoders.Count];
        var decoderAgree = new long[decoders.Count];
        int count = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in batches.Epoch(0))
            {
                using var scope = NewDisposeScope();
                var (images, labels) = batch.ToTensors();
                var output = network.call(images, null);
                var predicted = output.Logits.argmax(1);
                long[] truth = labels.data<long>().ToArray();
                long[] guess = predicted.data<long>().ToArray();
                for (int i = 0; i < truth.Length; i++) confusion[truth[i]][guess[i]]++;
                for (int b = 0; b < decoders.Count; b++)
                {
                    var early = decoders[b].Predict(output.BlockEnergies[b]);
                    decoderCorrect[b] += early.eq(labels).sum().item<long>();
                    decoderAgree[b] += early.eq(predicted).sum().item<long>();
                }
                count += truth.Length;
            }
        }
        finally
        {
            foreach (var d in decoders) d.Dispose();
            network.train(wasTraining);
        }

        long correct = Enumerable.Range(0, classes).Sum(k => (long)confusion[k][k]);
        var perClass = confusion.Select((row, k) => row.Sum() == 0 ? double.NaN : (double)row[k] / row.Sum()).ToList();
        double Fraction(long n) => count == 0 ? double.NaN : (double)n / count;
        return new EvaluationResult(count, Fraction(correct), perClass, confusion,
            network.CodedBlocks.Select(b => b.BlockIndex).ToList(),
            decoderCorrect.Select(Fraction).ToList(), decoderAgree.Select(Fraction).ToList());
    }
}
