using CodedResNeXt.Model;
using CodedResNeXt.Runtime;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>
/// One micro-batch of a training step: forward, cross-entropy + mu * coding losses, backward of that loss divided by the
/// number of micro-batches per optimizer step, so that K calls sum to the gradient of the mean loss over the K
/// micro-batches. Nothing is read back to the host (the figures go to <see cref="RunningMetrics"/>).
/// </summary>
internal static class TrainingStep
{
    /// <summary>Forward and backward of one micro-batch, adding to the parameters' gradients; zeroing them and the optimizer step are the caller's.</summary>
    /// <param name="network">the network, in training mode</param>
    /// <param name="objective">the loss to backpropagate: mu, exponent, threshold</param>
    /// <param name="images">[B, C, H, W], normalized</param>
    /// <param name="labels">int64 [B]</param>
    /// <param name="accumulate">micro-batches per optimizer step (K)</param>
    /// <param name="running">where the batch's figures are summed; null for none</param>
    /// <param name="precision">the forward pass's compute precision (the backward replays it)</param>
    public static void Backward(CodedResNeXtNetwork network, CodingObjective objective, Tensor images, Tensor labels, int accumulate,
        RunningMetrics? running, Precision precision = Precision.Float32)
    {
        using var scope = NewDisposeScope();
        NetworkOutput output;
        using (Autocast.Enter(precision)) output = network.call(images);
        var loss = objective.Losses(network, output, labels);
        // K = 1 backpropagates the loss itself, so a run without --accumulate is unchanged bit for bit.
        (accumulate == 1 ? loss.Total : loss.Total / accumulate).backward();
        running?.Add(loss.Total, loss.CrossEntropy, loss.Coding, output.Logits, labels);
    }
}
