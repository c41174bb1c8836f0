using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// One forward pass of a <see cref="CodedResNeXtNetwork"/>: the logits and what every coded block's subNNs
/// carried. The two per-coded-block lists are parallel, in block order. The coding loss is not here: it is a
/// training objective computed from these energies and the labels (Training/CodingObjective).
/// </summary>
/// <param name="Logits">[B, outputs]</param>
/// <param name="BlockEnergies">normalized energies E(t̄_n) of each coded block, [B, N], before dropSubNNs; each row sums to N</param>
/// <param name="CodedBlockIndices">index of each coded block among all blocks</param>
public sealed record NetworkOutput(Tensor Logits, IReadOnlyList<Tensor> BlockEnergies, IReadOnlyList<int> CodedBlockIndices);
