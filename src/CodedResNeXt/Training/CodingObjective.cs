using System.Runtime.CompilerServices;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>The coding losses of one labelled batch: their sum (a scalar) and each coded block's (scalars, in block order).</summary>
/// <param name="Total">the sum over coded blocks; 0 when there is none</param>
/// <param name="PerBlock">each coded block's loss, in block order</param>
internal sealed record CodingLosses(Tensor Total, IReadOnlyList<Tensor> PerBlock);

/// <summary>The loss of one labelled batch: cross-entropy + mu * the coding losses, with its parts (scalars).</summary>
/// <param name="Total">cross-entropy + mu × the coding losses: what is backpropagated</param>
/// <param name="CrossEntropy">the mean cross-entropy of the batch</param>
/// <param name="Coding">the coding losses, before mu</param>
internal sealed record TrainingLoss(Tensor Total, Tensor CrossEntropy, CodingLosses Coding);

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
    public Tensor BlockLoss(Tensor energies, Tensor codewords, double ratio) => Penalty(energies * ratio, codewords).mean();

    // max(|r·E − w| − threshold, 0)^p elementwise; with no threshold |r·E − w| is already >= 0, so nothing to clamp.
    private Tensor Penalty(Tensor scaledEnergies, Tensor codewords)
    {
        var excess = (scaledEnergies - codewords).abs();
        if (Threshold != 0) excess = (excess - Threshold).clamp_min(0);
        return excess.pow(Exponent);
    }

    /// <summary>
    /// The loss training minimizes (docs/method.md#energy-and-the-coding-loss), what a training loop of one's own
    /// backpropagates: the batch's mean cross-entropy + mu * the sum of the coded blocks' losses (a scalar).
    /// </summary>
    /// <param name="network">the network the output came from: its coded blocks and codewords</param>
    /// <param name="output">its forward pass on the batch (in training mode), with every coded block's energies</param>
    /// <param name="labels">int64 [B], classes of the samples</param>
    public Tensor Loss(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels) => Losses(network, output, labels).Total;

    /// <summary>The sum of the coded blocks' losses on one batch, before mu (a scalar; zero when the network has no coded block).</summary>
    /// <param name="network">the network the output came from: its coded blocks and codewords</param>
    /// <param name="output">its forward pass on the batch, with every coded block's energies</param>
    /// <param name="labels">int64 [B], classes of the samples</param>
    public Tensor CodingLoss(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels) => Compute(network, output, labels).Total;

    /// <summary>The loss and its parts: cross-entropy, each coded block's loss.</summary>
    internal TrainingLoss Losses(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels)
    {
        var crossEntropy = nn.functional.cross_entropy(output.Logits, labels);
        var coding = Compute(network, output, labels);
        return new TrainingLoss(crossEntropy + Mu * coding.Total, crossEntropy, coding);
    }

    /// <summary>Every coded block's loss on one batch, and their sum; zero when the network has no coded block.</summary>
    /// <param name="network">the network the output came from: its coded blocks and codewords</param>
    /// <param name="output">its forward pass on the batch, with every coded block's energies</param>
    /// <param name="labels">int64 [B], classes of the samples</param>
    internal CodingLosses Compute(CodedResNeXtNetwork network, NetworkOutput output, Tensor labels)
    {
        var blocks = network.CodedBlocks;
        if (blocks.Count == 0) return new CodingLosses(zeros([], device: output.Logits.device), []);
        // A partial (extracted) block lacks subNNs its codewords speak of: such a network is for inference only.
        if (blocks.FirstOrDefault(b => b.Spec.IsPartial) is { } partial)
            throw new InvalidOperationException($"block {partial.BlockIndex} is partial; an extracted network is not trained");
        // All coded blocks at once, their subNNs side by side: a handful of small ops instead of as many per block
        // (fashion-tiny's step is short enough for their count to show).
        var targets = Targets.Of(network);
        var energies = blocks.Count == 1 ? output.BlockEnergies[0] : cat(output.BlockEnergies.ToArray(), 1);
        var penalty = Penalty(energies * targets.Ratios, targets.Codewords.index_select(0, labels));
        var perBlock = penalty.mean([0]).matmul(targets.BlockMeans);
        return new CodingLosses(perBlock.sum(), perBlock.unbind(0));
    }

    /// <summary>
    /// The coded blocks' subNNs side by side, on the network's device: every class's codewords [K, sum N], each subNN's r
    /// [sum N], and [sum N, blocks] weights 1/N that average each block's subNNs. Made once per network and device.
    /// </summary>
    private sealed record Targets(Device Device, Tensor Codewords, Tensor Ratios, Tensor BlockMeans)
    {
        private static readonly ConditionalWeakTable<CodedResNeXtNetwork, Targets> Made = new();

        public static Targets Of(CodedResNeXtNetwork network)
        {
            var device = network.Device;
            if (Made.TryGetValue(network, out var made) && made.Device.type == device.type && made.Device.index == device.index)
                return made;
            var blocks = network.CodedBlocks;
            int columns = blocks.Sum(b => b.Spec.SubNNs);
            var ratios = new float[columns];
            var means = new float[columns * blocks.Count];
            for (int k = 0, column = 0; k < blocks.Count; k++)
                for (int n = 0; n < blocks[k].Spec.SubNNs; n++, column++)
                {
                    ratios[column] = (float)blocks[k].Scheme.Ratio;
                    means[column * blocks.Count + k] = 1f / blocks[k].Spec.SubNNs;
                }
            // Outlive whatever dispose scope the first caller has open, as the blocks' own codewords do.
            made = new Targets(device, cat(blocks.Select(b => b.Codewords).ToArray(), 1).DetachFromDisposeScope(),
                tensor(ratios, device: device).DetachFromDisposeScope(),
                tensor(means, [columns, blocks.Count], device: device).DetachFromDisposeScope());
            Made.AddOrUpdate(network, made);
            return made;
        }
    }
}
