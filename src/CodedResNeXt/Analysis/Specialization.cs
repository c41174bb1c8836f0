using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Analysis;

/// <summary>
/// The specialization test (SPEC section 8, Fig. 2a): in one coded block, remove from every validation image j
/// random subNNs that are active for the image's class, or j random inactive ones. If the subNNs specialized as
/// the codewords say, removing active ones hurts and removing inactive ones does not.
/// </summary>
public static class Specialization
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
        var coded = Enumerable.Range(0, architecture.Blocks.Count).Where(i => architecture.Blocks[i].IsCoded).ToList();
        string codedList = coded.Count == 0 ? "the network has no coded block" : "coded blocks: " + string.Join(", ", coded);
        if (block < 0 || block >= architecture.Blocks.Count)
            throw new InvalidInputException($"--block: block {block} does not exist; {architecture.Name} has blocks 0..{architecture.Blocks.Count - 1} ({codedList})");
        if (!architecture.Blocks[block].IsCoded)
            throw new InvalidInputException($"--block: block {block} ({architecture.Blocks[block].Stage}) is not coded; {codedList}");
        return block;
    }

    /// <summary>
    /// Which subNNs to remove, row-major [images, N] (true = removed): for each image, <paramref name="count"/>
    /// subNNs drawn at random among those active (or inactive) for its class. The draw depends only on the seed,
    /// the count, the kind, and the image's dataset index, so it does not change with the batch size.
    /// </summary>
    /// <param name="labels">class of each image</param>
    /// <param name="imageIndices">dataset index of each image</param>
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
            var rng = new Random(BatchLoader.MixSeed(seed, 2 * count + (active ? 1 : 0), imageIndices[i]));
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

    /// <summary>
    /// Adds one batch's correct predictions for every j: <paramref name="activeCorrect"/>[j-1] with j active subNNs
    /// removed, <paramref name="inactiveCorrect"/>[j-1] with j inactive ones removed.
    /// </summary>
    /// <param name="blockInput">the batch's input to <paramref name="block"/>, computed once for every j</param>
    internal static void Tally(PartialForward forward, Tensor blockInput, int block, CodingScheme scheme, Tensor labels,
        IReadOnlyList<int> labelList, IReadOnlyList<int> imageIndices, int seed, long[] activeCorrect, long[] inactiveCorrect)
    {
        foreach (bool active in new[] { true, false })
        {
            var correct = active ? activeCorrect : inactiveCorrect;
            for (int j = 1; j <= correct.Length; j++)
            {
                using var scope = NewDisposeScope();
                var mask = tensor(RemovalMask(labelList, imageIndices, scheme, j, active, seed), [labelList.Count, scheme.SubNNs]);
                var removed = new Dictionary<int, Tensor> { [block] = mask };
                var logits = forward.Logits(forward.Blocks(blockInput, block, forward.BlockCount, removed));
                correct[j - 1] += logits.argmax(1).eq(labels).sum().item<long>();
            }
        }
    }
}
