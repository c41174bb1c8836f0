using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// What a block needs for one forward pass.
/// </summary>
/// <param name="Input">x, [B, C_in, H, W]</param>
/// <param name="DropMask">dropSubNNs factors [B, N] (0 or 1/(1-p)), or null for no dropping</param>
/// <param name="Removed">subNNs to remove, bool [B, N] or [N] (true = removed), or null</param>
internal sealed record BlockInput(Tensor Input, Tensor? DropMask = null, Tensor? Removed = null);
