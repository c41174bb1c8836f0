using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>
/// Early decoding (docs/method.md#what-a-trained-network-gives-you; the paper's Eq. 7): a coded block's subNN energies, scaled to sum to N_act, lie
/// close to the codeword of the true class, so the nearest codeword (Euclidean) is a prediction that
/// needs no layer after that block. Confidence is the softmax of minus the distances. The codebook is the
/// block's own codeword matrix (<see cref="CodedBlock.Codewords"/>), built once with the network.
/// </summary>
internal static class EarlyDecoder
{
    /// <summary>
    /// Normalized energies [B, N] (they sum to N) scaled by N_act / N, so that they sum to N_act like a codeword:
    /// the vector Eq. 7 compares with the codewords, and the energy profile the analyses report.
    /// </summary>
    public static Tensor ScaledEnergies(Tensor energies, CodingScheme scheme) =>
        energies.to(float32) * ((double)scheme.Active / scheme.SubNNs);

    /// <summary>Distances [B, K] from each sample's scaled energy vector to every codeword of <paramref name="block"/>.</summary>
    public static Tensor Distances(Tensor energies, CodedBlock block) => Distances(energies, block.Scheme, block.Codewords);

    /// <summary>The same for a block known only by its scheme and its [K, N] 0/1 codewords (a network run outside TorchSharp).</summary>
    public static Tensor Distances(Tensor energies, CodingScheme scheme, Tensor codewords)
    {
        using var scope = NewDisposeScope();
        return cdist(ScaledEnergies(energies, scheme), codewords).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted class per sample: the nearest codeword.</summary>
    public static Tensor Predict(Tensor energies, CodedBlock block)
    {
        using var distances = Distances(energies, block);
        return distances.argmin(1);
    }

    /// <summary>Class probabilities per sample: softmax of minus the distances.</summary>
    public static Tensor Confidence(Tensor energies, CodedBlock block) => Confidence(energies, block.Scheme, block.Codewords);

    /// <summary>Class probabilities per sample for a block known by its scheme and codewords.</summary>
    public static Tensor Confidence(Tensor energies, CodingScheme scheme, Tensor codewords)
    {
        using var distances = Distances(energies, scheme, codewords);
        return nn.functional.softmax(-distances, 1);
    }
}
