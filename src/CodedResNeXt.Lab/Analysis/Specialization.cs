using CodedResNeXt.Runtime;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Analysis;

/// <summary>
/// The specialization test (docs/method.md#what-a-trained-network-gives-you; the paper's Fig. 2a): in one coded block, remove from every validation image j
/// random subNNs that are active for the image's class, or j random inactive ones. If the subNNs specialized as
/// the codewords say, removing active ones hurts and removing inactive ones does not.
/// </summary>
internal static class Specialization
{
    /// <summary>
    /// The block the paper tests: for the ImageNet network the second block of its last stage (c5), for the CIFAR
    /// networks (and any other) the last block of the first coded stage (c3). Null when no block is coded.
    /// </summary>
    public static int? DefaultBlock(ArchitectureSpec architecture)
    {
        var blocks = architecture.Blocks;
        if (architecture.Name == "imagenet")
        {
            var last = Enumerable.Range(0, blocks.Count).Where(i => blocks[i].Stage == blocks[^1].Stage).ToList();
            if (last.Count > 1 && blocks[last[1]].IsCoded) return last[1];
        }
        int first = Enumerable.Range(0, blocks.Count).FirstOrDefault(i => blocks[i].IsCoded, -1);
        if (first < 0) return null;
        return Enumerable.Range(0, blocks.Count).Last(i => blocks[i].Stage == blocks[first].Stage && blocks[i].IsCoded);
    }

    /// <summary>The block to test: <paramref name="requested"/> (--block) when given, which must exist and be coded, else the default.</summary>
    public static int? ResolveBlock(ArchitectureSpec architecture, int? requested)
    {
        if (requested is not { } block) return DefaultBlock(architecture);
        var coded = architecture.CodedBlockIndices;
        string codedList = coded.Count == 0 ? "the network has no coded block" : "coded blocks: " + string.Join(", ", coded);
        if (block < 0 || block >= architecture.Blocks.Count)
            throw InvalidInputException.ForOption("Block", $"block {block} does not exist; {architecture.Name} has blocks 0..{architecture.Blocks.Count - 1} ({codedList})");
        if (!architecture.Blocks[block].IsCoded)
            throw InvalidInputException.ForOption("Block", $"block {block} ({architecture.Blocks[block].Stage}) is not coded; {codedList}");
        return block;
    }

    /// <summary>
    /// Which subNNs to remove, row-major [images, N] (true = removed): for each image, <paramref name="count"/>
    /// subNNs drawn at random among those active (or inactive) for its class. The draw depends only on the seed,
    /// the count, the kind, and the image's dataset index, so it does not change with the batch size.
    /// </summary>
    /// <param name="labels">class of each image</param>
    /// <param name="imageIndices">dataset index of each image</param>
    /// <param name="scheme">the tested block's coding scheme (N subNNs, which ones are active per class)</param>
    /// <param name="count">j, subNNs removed per image: 0 up to the number active (or inactive) per class</param>
    /// <param name="active">remove subNNs active for the image's class (true) or inactive ones (false)</param>
    /// <param name="seed">seed of the draw, <see cref="AnalysisOptions.Seed"/></param>
    public static bool[] RemovalMask(IReadOnlyList<int> labels, IReadOnlyList<int> imageIndices, CodingScheme scheme, int count, bool active, int seed)
    {
        if (labels.Count != imageIndices.Count) throw new ArgumentException($"{labels.Count} labels but {imageIndices.Count} image indices");
        int n = scheme.SubNNs;
        int available = active ? scheme.Active : n - scheme.Active;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, available);
        var mask = new bool[labels.Count * n];
        var candidates = new int[available];
        for (int i = 0; i < labels.Count; i++)
        {
            int c = 0;
            for (int s = 0; s < n; s++)
                if (scheme.IsActive(labels[i], s) == active) candidates[c++] = s;
            var rng = new Random(SeedStreams.Mix(seed, 2 * count + (active ? 1 : 0), imageIndices[i]));
            // A partial Fisher-Yates shuffle: the first `count` candidates are a uniform random choice.
            for (int t = 0; t < count; t++)
            {
                int r = rng.Next(t, available);
                (candidates[t], candidates[r]) = (candidates[r], candidates[t]);
                mask[i * n + candidates[t]] = true;
            }
        }
        return mask;
    }

}

/// <summary>
/// The specialization test over an evaluation pass: for every batch, the network from the tested block's input on,
/// once per (j, active or inactive), with j subNNs removed per image (<see cref="Specialization.RemovalMask"/>).
/// </summary>
internal sealed class SpecializationAccumulator(CodedResNeXtNetwork network, int block, int seed) : IEvaluationAccumulator
{
    private readonly CodingScheme _scheme = network.Blocks[block].Scheme
        ?? throw new ArgumentException($"block {block} is not coded", nameof(block));
    private readonly long[] _active = new long[network.Blocks[block].Scheme?.Active ?? 0];
    private readonly long[] _inactive = new long[(network.Blocks[block].Scheme?.SubNNs ?? 0) - (network.Blocks[block].Scheme?.Active ?? 0)];
    private int _count;

    /// <summary>The tested block: its input is where the network reruns with subNNs removed.</summary>
    public IEnumerable<int> BlockInputs => [block];

    /// <summary>False: the test reruns the later blocks itself, so it needs no output of the unchanged pass.</summary>
    public bool NeedsOutput => false;

    /// <summary>Counts, for every j and kind, the batch's images still classified correctly with j subNNs removed (2·N reruns of the later blocks per batch, in total).</summary>
    public void Add(EvaluatedBatch batch)
    {
        foreach (bool active in new[] { true, false })
        {
            var correct = active ? _active : _inactive;
            for (int j = 1; j <= correct.Length; j++)
            {
                using var scope = NewDisposeScope();
                var mask = tensor(Specialization.RemovalMask(batch.LabelList, batch.Indices, _scheme, j, active, seed), [batch.LabelList.Length, _scheme.SubNNs], device: batch.Labels.device);
                var x = network.ForwardBlocks(batch.BlockInputs[block], block, network.Blocks.Count, SubNNRemoval.InBlock(block, mask));
                correct[j - 1] += network.ForwardHead(x).argmax(1).eq(batch.Labels).sum().item<long>();
            }
        }
        _count += batch.LabelList.Length;
    }

    /// <param name="baseline">top-1 with nothing removed, on the same images</param>
    public SpecializationResult Result(double baseline)
    {
        double Fraction(long k) => _count == 0 ? double.NaN : (double)k / _count;
        return new SpecializationResult(block, _scheme.Name, baseline, _active.Select(Fraction).ToList(), _inactive.Select(Fraction).ToList());
    }
}
