using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// DropSubNNs (docs/method.md#dropsubnns): during training each subNN's normalized output is zeroed with probability
/// p, survivors are scaled by 1/(1-p), one draw per (sample, subNN).
/// </summary>
internal static class DropSubNNs
{
    /// <summary>A mask [B, N] of 0 and 1/(1-p), to multiply the normalized subNN outputs with.</summary>
    public static Tensor DrawMask(long batch, int subNNs, double p, Device device, Generator? generator = null)
    {
        // Drawn where the generator lives (the run's generator is on the CPU), then moved: the same seed gives the
        // same masks on every device.
        var keep = rand([batch, subNNs], generator: generator).ge(p);
        return (keep.to_type(ScalarType.Float32) / (1 - p)).to(device);
    }

    /// <summary>
    /// The masks of one training forward pass, per block (null where nothing is dropped): coded blocks with
    /// p &gt; 0 get a fresh mask, except that a block sharing its predecessor's code reuses that very mask.
    /// </summary>
    public static Tensor?[] DrawMasks(IReadOnlyList<BlockSpec> blocks, long batch, Device device, Generator? generator = null)
    {
        var masks = new Tensor?[blocks.Count];
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            if (!b.IsCoded || b.PDrop == 0) continue;
            masks[i] = i > 0 && masks[i - 1] is not null && SharesMask(blocks[i - 1], b)
                ? masks[i - 1]
                : DrawMask(batch, b.SubNNs, b.PDrop, device, generator);
        }
        return masks;
    }

    /// <summary>
    /// "Same code, same mask": a block reuses the mask of the block right before it when both are coded
    /// with the same scheme (and the same p and subNNs); a new mask is drawn where the scheme changes.
    /// </summary>
    public static bool SharesMask(BlockSpec previous, BlockSpec current) =>
        previous.IsCoded && current.IsCoded && previous.Scheme == current.Scheme
        && previous.PDrop == current.PDrop && previous.OriginalSubNNs.SequenceEqual(current.OriginalSubNNs);
}
