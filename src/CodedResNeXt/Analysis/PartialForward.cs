using CodedResNeXt.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Analysis;

/// <summary>
/// A network's forward pass cut into pieces — stem, a range of blocks, head — so that the analyses run what
/// many variants of the network share only once per image: the blocks before a removal, or the blocks before
/// the first coded block, which every binary classifier keeps whole. Stem, blocks, pool and classifier in
/// order compute exactly <see cref="CodedResNeXtNetwork.forward"/> without labels or dropSubNNs (eval mode).
/// </summary>
public sealed class PartialForward
{
    private readonly Stem _stem;
    private readonly Linear _classifier;
    private readonly IReadOnlyList<ResNeXtBlock> _blocks;

    public PartialForward(CodedResNeXtNetwork network)
    {
        // The network registers its parts as "stem", "blocks" and "classifier" (its state_dict names).
        var children = network.named_children().ToDictionary(c => c.name, c => c.module);
        _stem = (Stem)children["stem"];
        _classifier = (Linear)children["classifier"];
        _blocks = network.Blocks;
    }

    public int BlockCount => _blocks.Count;

    public Tensor Stem(Tensor images) => _stem.call(images);

    /// <summary>
    /// Runs blocks <paramref name="from"/>..<paramref name="to"/>-1 on <paramref name="x"/>, the input of block
    /// <paramref name="from"/>. Coded blocks' energies [B, N] are appended to <paramref name="energies"/> when given.
    /// </summary>
    /// <param name="removed">bool subNN masks (true = removed) by block index, as in <see cref="SubNNRemoval"/></param>
    public Tensor Blocks(Tensor x, int from, int to, IReadOnlyDictionary<int, Tensor>? removed = null, List<Tensor>? energies = null)
    {
        for (int i = from; i < to; i++)
        {
            Tensor? mask = null;
            removed?.TryGetValue(i, out mask);
            var output = _blocks[i].call(new BlockInput(x, null, null, mask));
            x = output.Output;
            if (output.Energies is not null) energies?.Add(output.Energies);
        }
        return x;
    }

    /// <summary>Global average pool and the linear classifier: the logits [B, outputs].</summary>
    public Tensor Logits(Tensor x) => _classifier.call(functional.adaptive_avg_pool2d(x, 1).flatten(1));
}
