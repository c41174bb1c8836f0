using CodedResNeXt.Runtime;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// Energy and energy normalization of a coded block (docs/method.md#energy-and-the-coding-loss): E(t_n) is the mean over
/// (c, h, w) of t_n^2 per sample, and t̄_n = t_n / sqrt((1/N) sum_i E(t_i)), so that sum_n E(t̄_n) = N.
/// </summary>
internal static class EnergyNormalization
{
    // Stands in for a zero mean energy (every t_n zero, e.g. all subNNs removed): t̄ is then 0 whatever
    // the denominator, and the released code, which has no guard, would produce NaN.
    private const double ZeroGuard = 1e-12;

    /// <summary>E(t_n) of materialized subNN outputs t [B, N, C, H, W]; returns [B, N].</summary>
    public static Tensor Energies(Tensor t) => t.square().mean([2, 3, 4]);

    /// <summary>
    /// E(t_n) without materializing t_n = W_n h_n: from the bottleneck h [B, N*d, H, W] and the dense expand
    /// weight [C_out, N*d, 1, 1], E(t_n) = (1/(C_out H W)) sum_p h_n(p)^T G_n h_n(p) with G_n = W_n^T W_n.
    /// Returns [B, N].
    /// </summary>
    public static Tensor FusedEnergies(Tensor h, Tensor expandWeight, int subNNs)
    {
        long batch = h.shape[0], channels = h.shape[1], positions = h.shape[2] * h.shape[3];
        long cOut = expandWeight.shape[0], d = channels / subNNs;
        var w = expandWeight.reshape(cOut, subNNs, d);
        var gram = einsum("cni,cnj->nij", w, w);                       // [N, d, d]
        // E is quadratic in h, so dE/dh = 2 G h / (C_out H W): G h, made by a grouped 1x1 convolution of the detached
        // bottleneck, serves the forward pass and, doubled, the gradient to h; the convolution carries the gradient to G,
        // halved to match. Autograd then needs neither the convolution's backward-data pass nor a copy of h into
        // matrices (a batched product over B*N d x d blocks, which cost more than the rest of the block's coding).
        var halfGradient = (gram + gram.detach()) * 0.5;               // the value of G, half its gradient
        // In float32 whatever the compute precision: the normalization divides by these.
        var hFull = Autocast.Full(h);
        var gh = nn.functional.conv2d(hFull.detach(), halfGradient.reshape(channels, d, 1, 1), groups: subNNs);
        var energies = (hFull * gh).sum([2, 3]).reshape(batch, subNNs, d).sum(2) / (cOut * positions);
        return energies * 2 - energies.detach();                       // the value of E, twice its gradient to h
    }

    /// <summary>
    /// The per-sample denominator (1/N) sum_n E(t_n), [B], with N = <paramref name="normalizationSubNNs"/>
    /// (the original N even when some subNNs are removed or extracted away). Exactly zero becomes a tiny positive.
    /// </summary>
    public static Tensor MeanEnergy(Tensor energies, int normalizationSubNNs)
    {
        var mean = energies.sum(1) / normalizationSubNNs;
        return mean.masked_fill(mean.eq(0), ZeroGuard);
    }
}
