using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>The coding losses of one labelled batch: their sum (a scalar) and each coded block's (scalars, in block order).</summary>
/// <param name="Total">the sum over coded blocks; 0 when there is none</param>
/// <param name="PerBlock">each coded block's loss, in block order</param>
public sealed record CodingLosses(Tensor Total, IReadOnlyList<Tensor> PerBlock);

/// <summary>The loss of one labelled batch: cross-entropy + mu * the coding losses, with its parts (scalars).</summary>
/// <param name="Total">cross-entropy + mu × the coding losses: what is backpropagated</param>
/// <param name="CrossEntropy">the mean cross-entropy of the batch</param>
/// <param name="Coding">the coding losses, before mu</param>
public sealed record TrainingLoss(Tensor Total, Tensor CrossEntropy, CodingLosses Coding);

/// <summary>
/// The coding objective (docs/method.md#energy-and-the-coding-loss), a training concern kept outside the modules: from a forward pass's
/// energies and the labels, each coded block's loss mean over subNNs of max(|r E(t̄_n) - w_n| - threshold, 0)^p,
/// averaged over the batch, with w the codeword of the sample's class and r = N_act / N. The total loss is
/// cross-entropy + <see cref="Mu"/> * the sum over coded blocks. The paper's loss is p = 4, threshold = 0.
/// </summary>
/// <param name="Mu">mu, the weight of the summed coding losses (0: cross-entropy alone)</param>
/// <param name="Exponent">p, 4 in the paper</param>
/// <param name="Threshold">deviations |r·E − w| up to it cost nothing; 0 in the paper</param>
public sealed record CodingObjective(double Mu, double Exponent = 4, double Threshold = 0)
{
    /// <summary>The objective a run's options ask for (mu 0 for the control).</summary>
    public static CodingObjective From(TrainingOptions options) => new(options.EffectiveMu, options.LossExponent, options.LossThreshold);

    /// <summary>One coded block's coding loss on a batch: the mean over samples and subNNs of max(|r·E − w| − <see cref="Threshold"/>, 0)^<see cref="Exponent"/>.</summary>
    /// <param name="energies">normalized energies E(t̄_n), [B, N]</param>
    /// <param name="codewords">codeword of each sample's class, 0/1 as floats, [B, N]</param>
    /// <param name="ratio">r = N_act / N</param>
    /// <returns>a scalar</returns>
    public Tensor BlockLoss(Tensor energies, Tensor codewords, double ratio)
    {
        var excess = (energies * ratio - codewords).abs() - Threshold;
        return excess.clamp_min(0).pow(Exponent).mean();
    }

    /// <summary>The loss training minimizes (docs/method.md#energy-and-the-coding-loss): cross-entropy + mu * the sum of the coded blocks' losses.</summary>
    public TrainingLoss Loss(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels)
    {
        var crossEntropy = nn.functional.cross_entropy(output.Logits, labels);
        var coding = Compute(network, output, labels);
        return new TrainingLoss(crossEntropy + Mu * coding.Total, crossEntropy, coding);
    }

    /// <summary>Every coded block's loss on one batch, and their sum; zero when the network has no coded block.</summary>
    /// <param name="network">the network the output came from: its coded blocks and codewords</param>
    /// <param name="output">its forward pass on the batch, with every coded block's energies</param>
    /// <param name="labels">int64 [B], classes of the samples</param>
    public CodingLosses Compute(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels)
    {
        var perBlock = network.CodedBlocks.Select((block, b) =>
        {
            // A partial (extracted) block lacks subNNs its codewords speak of: such a network is for inference only.
            if (block.Spec.IsPartial) throw new InvalidOperationException($"block {block.BlockIndex} is partial; an extracted network is not trained");
            var targets = block.Codewords.index_select(0, labels);
            return BlockLoss(output.BlockEnergies[b], targets, block.Scheme.Ratio);
        }).ToList();
        var total = perBlock.Count == 0 ? zeros([], device: output.Logits.device) : stack(perBlock).sum();
        return new CodingLosses(total, perBlock);
    }
}
