using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// SubNNs removed from a forward pass (docs/method.md#the-block: t_n zeroed before the energy step, the 1/N stays N), the
/// one form every analysis uses. Maps a block index to a bool mask, [B, N] (per sample) or [N] (every sample);
/// true = removed. The caller owns the tensors.
/// </summary>
/// <param name="RemovedByBlock">block index to its removal mask, bool [B, N] or [N] (true = removed); blocks not listed lose nothing</param>
internal sealed record SubNNRemoval(IReadOnlyDictionary<int, Tensor> RemovedByBlock)
{
    /// <summary>Removes the masked subNNs of one block.</summary>
    public static SubNNRemoval InBlock(int blockIndex, Tensor removed) => new(new Dictionary<int, Tensor> { [blockIndex] = removed });

    /// <summary>
    /// Keeps only class <paramref name="cls"/>'s paths: in every coded block, removes each subNN inactive for it.
    /// Together with logit <paramref name="cls"/> this is the binary classifier of the class, inside the full network.
    /// </summary>
    public static SubNNRemoval KeepOnlyPathsOf(IEnumerable<CodedBlock> codedBlocks, int cls)
    {
        var removed = new Dictionary<int, Tensor>();
        foreach (var block in codedBlocks)
        {
            var original = block.Spec.OriginalSubNNs;
            removed[block.BlockIndex] = tensor(original.Select(n => !block.Scheme.IsActive(cls, n)).ToArray());
        }
        return new SubNNRemoval(removed);
    }

    /// <summary>The mask of block <paramref name="index"/>, or null when none of its subNNs is removed.</summary>
    public Tensor? Of(int index) => RemovedByBlock.TryGetValue(index, out var mask) ? mask : null;
}
