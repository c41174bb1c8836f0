using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// The coding loss of a coded block (SPEC section 3) in the released code's general form:
/// mean over subNNs of max(|r E(t̄_n) - w_n| - threshold, 0)^p, averaged over the batch.
/// The paper's loss is p = 4, threshold = 0.
/// </summary>
public sealed record CodingLoss(double Exponent = 4, double Threshold = 0)
{
    /// <param name="energies">normalized energies E(t̄_n), [B, N]</param>
    /// <param name="codewords">codeword of each sample's class, 0/1 as floats, [B, N]</param>
    /// <param name="ratio">r = N_act / N</param>
    /// <returns>a scalar</returns>
    public Tensor Compute(Tensor energies, Tensor codewords, double ratio)
    {
        var excess = (energies * ratio - codewords).abs() - Threshold;
        return excess.clamp_min(0).pow(Exponent).mean();
    }
}
