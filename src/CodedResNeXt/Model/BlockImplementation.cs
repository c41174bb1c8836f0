namespace CodedResNeXt.Model;

/// <summary>How a coded block computes its normalized, summed subNN outputs (docs/method.md#energy-and-the-coding-loss).</summary>
internal enum BlockImplementation
{
    /// <summary>
    /// sum_n m_n t̄_n = W_dense (m ⊙ h) / rms and energies from G_n = W_n^T W_n: never builds the N*C_out
    /// maps, costs about as much as a plain ResNeXt block.
    /// </summary>
    Fused,

    /// <summary>The released code's form: grouped 1x1 conv to N*C_out maps, normalize, sum. The test oracle.</summary>
    Materializing,
}
