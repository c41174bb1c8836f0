using CodedResNeXt.Decoding;
using CodedResNeXt.Model;

namespace CodedResNeXt.Evaluation;

/// <summary>Each coded block as an early decoder (docs/method.md#what-a-trained-network-gives-you) on a labelled set.</summary>
/// <param name="Top1">the network's final top-1 on the same images, for comparison</param>
/// <param name="CodedBlockIndices">the index among all blocks of each coded block, in network order</param>
/// <param name="Accuracy">per coded block, the share of images whose nearest codeword is their class's</param>
/// <param name="AgreementWithFinal">how often each early decoder agrees with the network's final prediction</param>
public sealed record EarlyDecodingResult(
    double Top1,
    IReadOnlyList<int> CodedBlockIndices,
    IReadOnlyList<double> Accuracy,
    IReadOnlyList<double> AgreementWithFinal);

/// <summary>Counts, per coded block, the images whose nearest codeword is their class, and those where it is the final prediction.</summary>
/// <param name="codedBlocks">the network's coded blocks (<see cref="CodedResNeXtNetwork.CodedBlocks"/>)</param>
internal sealed class EarlyDecodingAccumulator(IReadOnlyList<CodedBlock> codedBlocks) : IEvaluationAccumulator
{
    private readonly long[] _correct = new long[codedBlocks.Count];
    private readonly long[] _agree = new long[codedBlocks.Count];
    private long _finalCorrect;
    private int _count;

    /// <summary>The last batch's early predictions, [coded block][image], for accumulators that show them per image.</summary>
    public long[][] LastPredictions { get; private set; } = [];

    /// <summary>Decodes every coded block's energies to the nearest codeword, counts the hits against the labels and the final predictions, and keeps them in <see cref="LastPredictions"/>.</summary>
    public void Add(EvaluatedBatch batch)
    {
        var truth = batch.LabelList;
        var final = batch.Predicted!;
        LastPredictions = new long[codedBlocks.Count][];
        for (int b = 0; b < codedBlocks.Count; b++)
        {
            var early = EarlyDecoder.Predict(batch.Output!.BlockEnergies[b], codedBlocks[b]).data<long>().ToArray();
            LastPredictions[b] = early;
            for (int i = 0; i < truth.Length; i++)
            {
                if (early[i] == truth[i]) _correct[b]++;
                if (early[i] == final[i]) _agree[b]++;
            }
        }
        for (int i = 0; i < truth.Length; i++) if (final[i] == truth[i]) _finalCorrect++;
        _count += truth.Length;
    }

    /// <summary>Accuracy and agreement of each coded block, in network order, over all batches so far (NaN with no image).</summary>
    public EarlyDecodingResult Result()
    {
        double Fraction(long k) => _count == 0 ? double.NaN : (double)k / _count;
        return new EarlyDecodingResult(Fraction(_finalCorrect), codedBlocks.Select(b => b.BlockIndex).ToList(),
            _correct.Select(Fraction).ToList(), _agree.Select(Fraction).ToList());
    }
}
