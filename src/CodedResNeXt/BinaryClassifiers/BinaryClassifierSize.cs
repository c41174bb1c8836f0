using CodedResNeXt.CodingSchemes;

using CodedResNeXt.Model;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// Size of the standalone binary classifier of one class (docs/method.md#what-a-trained-network-gives-you) next to the paper's estimate.
/// <see cref="Exact"/> counts what <see cref="ArchitectureSpec.KeepPathsOf"/> keeps (projection shortcuts
/// stay whole, one classifier row); <see cref="StageScaledEstimate"/> is how the paper estimates it: every
/// block's parameters, shortcuts included, scaled by its ratio N_act/N, plus the stem and one classifier row.
/// </summary>
/// <param name="Class">the class, by index among all K</param>
/// <param name="Exact">learnable parameters the standalone classifier keeps</param>
/// <param name="StageScaledEstimate">the paper's estimate of the same, rounded</param>
/// <param name="Total">learnable parameters of the full network</param>
public sealed record BinaryClassifierSize(int Class, long Exact, long StageScaledEstimate, long Total)
{
    /// <summary><see cref="Exact"/> / <see cref="Total"/>: the share of the full network the standalone classifier keeps.</summary>
    public double ExactFraction => (double)Exact / Total;
    /// <summary><see cref="StageScaledEstimate"/> / <see cref="Total"/>: the paper's figure for the same share.</summary>
    public double EstimateFraction => (double)StageScaledEstimate / Total;

    /// <summary>The exact and the paper-style size of class <paramref name="cls"/>'s binary classifier in <paramref name="architecture"/>, whose coded blocks name schemes of <paramref name="schemes"/>.</summary>
    internal static BinaryClassifierSize Of(ArchitectureSpec architecture, int cls, CodingSchemeSet schemes)
    {
        long exact = architecture.KeepPathsOf([cls], schemes).CountParameters().Total;
        double estimate = architecture.Stem.ParameterCount + architecture.Features;
        foreach (var b in architecture.Blocks)
            estimate += b.IsCoded ? b.ParameterCount * schemes[b.Scheme!].Ratio : b.ParameterCount;
        return new BinaryClassifierSize(cls, exact, (long)Math.Round(estimate), architecture.CountParameters().Total);
    }
}
