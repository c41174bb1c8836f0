using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Analysis;

/// <summary>
/// The standalone binary classifiers of several classes (SPEC section 8): for class k, the network cut down to
/// k's paths (<see cref="PathExtraction.ExtractPathsOf"/>), whose single logit is the score. Every classifier
/// keeps the blocks before the first coded block whole, so those run once per image in the full network and
/// each classifier runs only the rest, and only on the images its class needs.
/// </summary>
internal sealed class BinaryClassifierBank : IDisposable
{
    private readonly List<(CodedResNeXtNetwork Network, PartialForward Forward)> _classifiers = [];

    public BinaryClassifierBank(CodedResNeXtNetwork network, IReadOnlyList<int> classes)
    {
        Classes = classes;
        SharedBlocks = network.CodedBlocks.Count == 0 ? network.Blocks.Count : network.CodedBlocks[0].BlockIndex;
        foreach (int k in classes)
        {
            var extracted = network.ExtractPathsOf([k]);
            extracted.eval();
            _classifiers.Add((extracted, new PartialForward(extracted)));
        }
    }

    public IReadOnlyList<int> Classes { get; }

    /// <summary>Blocks before the first coded block: the same in the network and in every classifier.</summary>
    public int SharedBlocks { get; }

    /// <summary>
    /// Scores one batch. For classifier c, the images whose dataset index i has <paramref name="needed"/>[c][i]
    /// get their score written to <paramref name="scores"/>[c][i].
    /// </summary>
    /// <param name="shared">the batch after the first <see cref="SharedBlocks"/> blocks of the network</param>
    /// <param name="imageIndices">dataset index of each image of the batch</param>
    public void Score(Tensor shared, IReadOnlyList<int> imageIndices, IReadOnlyList<bool[]> needed, IReadOnlyList<float[]> scores)
    {
        for (int c = 0; c < _classifiers.Count; c++)
        {
            var rows = Enumerable.Range(0, imageIndices.Count).Where(r => needed[c][imageIndices[r]]).ToArray();
            if (rows.Length == 0) continue;
            using var scope = NewDisposeScope();
            var x = rows.Length == imageIndices.Count ? shared : shared.index_select(0, tensor(rows.Select(r => (long)r).ToArray()));
            var forward = _classifiers[c].Forward;
            var logit = forward.Logits(forward.Blocks(x, SharedBlocks, forward.BlockCount));
            float[] values = logit[.., 0].contiguous().data<float>().ToArray();
            for (int r = 0; r < rows.Length; r++) scores[c][imageIndices[rows[r]]] = values[r];
        }
    }

    public void Dispose()
    {
        foreach (var (network, _) in _classifiers) network.Dispose();
    }
}
