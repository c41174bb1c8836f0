using CodedResNeXt.Decoding;
using CodedResNeXt.Model;

using CodedResNeXt.Evaluation;

namespace CodedResNeXt.Analysis;

/// <summary>Mean subNN energy per class in one coded block (scaled to sum to N_act, like a codeword), beside the codewords.</summary>
/// <param name="BlockIndex">the block's index among all blocks</param>
/// <param name="Scheme">the name of its coding scheme</param>
/// <param name="Codewords">every class's codeword as a '0101…' string, in class order</param>
/// <param name="MeanEnergyByClass">[class][subNN]; NaN for a class with no image</param>
public sealed record BlockEnergyProfile(
    int BlockIndex,
    string Scheme,
    IReadOnlyList<string> Codewords,
    IReadOnlyList<IReadOnlyList<double>> MeanEnergyByClass);

/// <summary>
/// Sums every coded block's scaled energies per class (Fig. 3 of the paper: does class k light up the subNNs its
/// codeword names?). Also keeps the last batch's scaled energies for accumulators that show them per image.
/// </summary>
/// <param name="codedBlocks">the network's coded blocks (<see cref="CodedResNeXtNetwork.CodedBlocks"/>)</param>
/// <param name="classes">K, the network's classes</param>
internal sealed class EnergyProfileAccumulator(IReadOnlyList<CodedBlock> codedBlocks, int classes) : IEvaluationAccumulator
{
    private readonly double[][,] _sums = codedBlocks.Select(b => new double[classes, b.Spec.SubNNs]).ToArray();
    private readonly long[] _counts = new long[classes];

    /// <summary>The last batch's scaled energies, [coded block][image * N + subNN].</summary>
    public float[][] LastScaled { get; private set; } = [];

    /// <summary>Adds the batch's scaled energies to the sums of its images' classes and keeps them in <see cref="LastScaled"/>.</summary>
    public void Add(EvaluatedBatch batch)
    {
        var truth = batch.LabelList;
        LastScaled = new float[codedBlocks.Count][];
        for (int b = 0; b < codedBlocks.Count; b++)
        {
            var scaled = EarlyDecoder.ScaledEnergies(batch.Output!.BlockEnergies[b], codedBlocks[b].Scheme).data<float>().ToArray();
            LastScaled[b] = scaled;
            int n = codedBlocks[b].Spec.SubNNs;
            for (int i = 0; i < truth.Length; i++)
                for (int j = 0; j < n; j++) _sums[b][truth[i], j] += scaled[i * n + j];
        }
        foreach (int label in truth) _counts[label]++;
    }

    /// <summary>One profile per coded block, in network order: the mean over the images seen so far.</summary>
    public IReadOnlyList<BlockEnergyProfile> Result() => codedBlocks.Select((b, c) => new BlockEnergyProfile(b.BlockIndex, b.Scheme.Name,
        b.Scheme.ToStrings(),
        Enumerable.Range(0, classes).Select(k => (IReadOnlyList<double>)Enumerable.Range(0, b.Spec.SubNNs)
            .Select(n => _counts[k] == 0 ? double.NaN : _sums[c][k, n] / _counts[k]).ToList()).ToList())).ToList();
}
