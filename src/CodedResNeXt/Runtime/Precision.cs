namespace CodedResNeXt.Runtime;

/// <summary>
/// The number format a network computes in while it trains (docs/performance.md#bfloat16). The weights, the optimizer's
/// state and the gradients it applies are float32 in both.
/// </summary>
public enum Precision
{
    /// <summary>Everything in float32 (the default).</summary>
    Float32,

    /// <summary>
    /// Mixed precision as the paper trained (on TPUs): convolutions and the activations between them in bfloat16, cast
    /// from the float32 master weights at each step; BN's statistics and parameters, the energies and their
    /// normalization, the classifier and the losses in float32 (<see cref="Autocast"/>).
    /// </summary>
    BFloat16,
}
