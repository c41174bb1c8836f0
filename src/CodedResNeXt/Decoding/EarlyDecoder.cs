using CodedResNeXt.CodingSchemes;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>
/// Early decoding (SPEC section 8, Eq. 7): a coded block's subNN energies, scaled to sum to N_act, lie
/// close to the codeword of the true class, so the nearest codeword (Euclidean) is a prediction that
/// needs no layer after that block. Confidence is the softmax of minus the distances.
/// </summary>
public sealed class EarlyDecoder : IDisposable
{
    private readonly Tensor _codewords; // [K, N], 0/1 as float

    public EarlyDecoder(CodingScheme scheme)
    {
        Scheme = scheme;
        var digits = new float[scheme.Classes * scheme.SubNNs];
        for (int k = 0; k < scheme.Classes; k++)
            for (int n = 0; n < scheme.SubNNs; n++)
                digits[k * scheme.SubNNs + n] = scheme.IsActive(k, n) ? 1f : 0f;
        _codewords = tensor(digits, new long[] { scheme.Classes, scheme.SubNNs });
    }

    public CodingScheme Scheme { get; }

    /// <summary>Distances [B, K] from each sample's scaled energy vector to every codeword.</summary>
    /// <param name="energies">[B, N] normalized subNN energies of one coded block (they sum to N).</param>
    public Tensor Distances(Tensor energies)
    {
        using var scope = NewDisposeScope();
        // The energies sum to N; scaling by N_act / N makes them sum to N_act, like a codeword.
        var v = energies.to(float32) * ((double)Scheme.Active / Scheme.SubNNs);
        return cdist(v, _codewords.to(v.device)).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted class per sample: the nearest codeword.</summary>
    public Tensor Predict(Tensor energies)
    {
        using var distances = Distances(energies);
        return distances.argmin(1);
    }

    /// <summary>Class probabilities per sample: softmax of minus the distances.</summary>
    public Tensor Confidence(Tensor energies)
    {
        using var distances = Distances(energies);
        return nn.functional.softmax(-distances, 1);
    }

    public void Dispose() => _codewords.Dispose();
}
