using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// One forward pass of a <see cref="CodedResNeXtNetwork"/>. The three per-coded-block lists are parallel,
/// in block order.
/// </summary>
/// <param name="Logits">[B, outputs]</param>
/// <param name="CodingLoss">sum over coded blocks of their coding losses, a scalar; zero without labels or coded blocks</param>
/// <param name="BlockCodingLosses">coding loss of each coded block, scalars (zero without labels)</param>
/// <param name="BlockEnergies">normalized energies E(t̄_n) of each coded block, [B, N], before dropSubNNs; each row sums to N</param>
/// <param name="CodedBlockIndices">index of each coded block among all blocks</param>
public sealed record NetworkOutput(
    Tensor Logits,
    Tensor CodingLoss,
    IReadOnlyList<Tensor> BlockCodingLosses,
    IReadOnlyList<Tensor> BlockEnergies,
    IReadOnlyList<int> CodedBlockIndices);
