using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// DropSubNNs (SPEC section 4): during training each subNN's normalized output is zeroed with probability
/// p, survivors are scaled by 1/(1-p), one draw per (sample, subNN).
/// </summary>
public static class DropSubNNs
{
    /// <summary>A mask [B, N] of 0 and 1/(1-p), to multiply the normalized subNN outputs with.</summary>
    public static Tensor DrawMask(long batch, int subNNs, double p, Device device)
    {
        var keep = rand([batch, subNNs], device: device).ge(p);
        return keep.to_type(ScalarType.Float32) / (1 - p);
    }

    /// <summary>
    /// "Same code, same mask": a block reuses the mask of the block right before it when both are coded
    /// with the same scheme (and the same p and subNNs); a new mask is drawn where the scheme changes.
    /// </summary>
    public static bool SharesMask(BlockSpec previous, BlockSpec current) =>
        previous.IsCoded && current.IsCoded && previous.Scheme == current.Scheme
        && previous.PDrop == current.PDrop && previous.OriginalSubNNs.SequenceEqual(current.OriginalSubNNs);
}
