using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// What a block produces.
/// </summary>
/// <param name="Output">y, [B, C_out, H', W']</param>
/// <param name="Energies">coded blocks: normalized energies E(t̄_n) before dropping, [B, N]; null when uncoded</param>
internal sealed record BlockOutput(Tensor Output, Tensor? Energies);
