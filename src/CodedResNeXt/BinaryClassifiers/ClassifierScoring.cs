using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// Scores extracted classifiers (<see cref="PathExtraction.ExtractPathsOf"/>) over an evaluation pass of the full
/// network. Every classifier keeps the blocks before the first coded block whole, so those run once per image in
/// the full network, and each classifier runs only the rest, only on the images it needs.
/// </summary>
internal sealed class ClassifierScoring : IEvaluationAccumulator
{
    private readonly int _shared;
    private readonly IReadOnlyList<CodedResNeXtNetwork> _classifiers;
    private readonly IReadOnlyList<bool[]> _needed;

    /// <summary>Scoring of every output of every classifier on the images each needs; the scores stay 0 until the pass runs.</summary>
    /// <param name="network">the full network the pass runs</param>
    /// <param name="classifiers">networks extracted from it, in eval mode</param>
    /// <param name="needed">per classifier, per dataset index: whether to score that image</param>
    /// <param name="images">images in the pass's dataset</param>
    public ClassifierScoring(CodedResNeXtNetwork network, IReadOnlyList<CodedResNeXtNetwork> classifiers, IReadOnlyList<bool[]> needed, int images)
    {
        _shared = network.UncodedPrefix;
        _classifiers = classifiers;
        _needed = needed;
        Scores = classifiers.Select(c => Enumerable.Range(0, c.Architecture.Outputs).Select(_ => new float[images]).ToArray()).ToArray();
    }

    /// <summary>[classifier][output][dataset index]; images that were not needed keep 0.</summary>
    public float[][][] Scores { get; }

    /// <summary>The input of the first coded block (<see cref="CodedResNeXtNetwork.UncodedPrefix"/>), where every classifier takes over from the full network.</summary>
    public IEnumerable<int> BlockInputs => [_shared];

    /// <summary>False: the classifiers need only the shared prefix; the pass runs the rest of the full network only if another accumulator asks.</summary>
    public bool NeedsOutput => false;

    /// <summary>Runs each classifier from the shared block input on the images of the batch it needs and stores their logits in <see cref="Scores"/>.</summary>
    public void Add(EvaluatedBatch batch)
    {
        var shared = batch.BlockInputs[_shared];
        for (int c = 0; c < _classifiers.Count; c++)
        {
            var rows = Enumerable.Range(0, batch.Indices.Count).Where(r => _needed[c][batch.Indices[r]]).ToArray();
            if (rows.Length == 0) continue;
            using var scope = NewDisposeScope();
            var x = rows.Length == batch.Indices.Count ? shared : shared.index_select(0, tensor(rows.Select(r => (long)r).ToArray(), device: shared.device));
            var classifier = _classifiers[c];
            var logits = classifier.ForwardHead(classifier.ForwardBlocks(x, _shared, classifier.Blocks.Count)).contiguous().data<float>().ToArray();
            int outputs = Scores[c].Length;
            for (int r = 0; r < rows.Length; r++)
                for (int j = 0; j < outputs; j++) Scores[c][j][batch.Indices[rows[r]]] = logits[r * outputs + j];
        }
    }
}
