using CodedResNeXt.Evaluation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>Predictions of an early-exit pass, per sample.</summary>
/// <param name="Predicted">the class index (network output) each sample was given</param>
/// <param name="ExitBlock">index of the coded block each sample left at; -1 for the samples that ran to the head</param>
/// <param name="Cost">multiply-accumulates each sample's pass computed</param>
internal sealed record EarlyExitPredictions(long[] Predicted, int[] ExitBlock, long[] Cost);

/// <summary>
/// Early-exit inference, which the paper does not have: the coded blocks are decoders (<see cref="EarlyDecoder"/>), so a
/// sample whose scaled energies lie clearly nearer one codeword than any other can be classified there without the
/// remaining blocks. Confidence is the margin d2 - d1 between the distances to the two nearest codewords. The margins
/// are calibrated on labelled-free data against the full network's own predictions (agreement, not accuracy, is the
/// target: an exit should change no answer), block by block in network order on the samples still running.
/// </summary>
internal static partial class EarlyExit
{
    /// <summary>Margin d2 - d1 [B] and nearest codeword (the early prediction, a class index among all K) [B].</summary>
    public static (Tensor Margin, Tensor Class) Decode(Tensor energies, CodedBlock block)
    {
        using var scope = NewDisposeScope();
        var distances = EarlyDecoder.Distances(energies, block);
        var (nearest, classes) = distances.topk(2, dim: 1, largest: false, sorted: true);
        var margin = nearest[.., 1] - nearest[.., 0];
        return (margin.MoveToOuterDisposeScope(), classes[.., 0].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Classifies a batch, running it block by block and, after each coded block with a threshold, taking out the
    /// samples whose margin reaches it: the remaining blocks run on the others only.
    /// </summary>
    /// <param name="network">a network with the calibration's coded blocks; run in eval mode without gradients, then put back in its mode</param>
    /// <param name="images">[B, C, H, W], normalized</param>
    /// <param name="calibration">the exit thresholds (<see cref="Calibrate(CodedResNeXtNetwork, BatchLoader, double, CancellationToken)"/>)</param>
    public static EarlyExitPredictions Predict(CodedResNeXtNetwork network, Tensor images, EarlyExitCalibration calibration)
    {
        if (!calibration.CodedBlockIndices.SequenceEqual(network.CodedBlocks.Select(c => c.BlockIndex)))
            throw new ArgumentException("the calibration was made for another network's coded blocks");
        var cost = ComputeCost.Of(network.Architecture);
        var outputClasses = network.Architecture.OutputClasses;
        var outputOf = outputClasses.Select((k, o) => (k, o)).ToDictionary(p => p.k, p => (long)p.o);
        long batch = images.shape[0];
        var predicted = new long[batch];
        var exitBlock = Enumerable.Repeat(-1, (int)batch).ToArray();
        var spent = Enumerable.Repeat(cost.Total, (int)batch).ToArray();
        var rows = Enumerable.Range(0, (int)batch).ToArray(); // original index of each row still running

        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = network.ForwardStem(images);
            int from = 0;
            for (int b = 0; b < network.CodedBlocks.Count && rows.Length > 0; b++)
            {
                if (calibration.Thresholds[b] is not { } threshold) continue;
                var block = network.CodedBlocks[b];
                var blocks = network.ForwardIntermediates(x, from, block.BlockIndex + 1);
                x = blocks.Output;
                from = block.BlockIndex + 1;
                var (margin, cls) = Decode(blocks.Energies[^1], block);
                var m = margin.data<float>().ToArray();
                var c = cls.data<long>().ToArray();
                var stay = new List<long>();
                for (int i = 0; i < rows.Length; i++)
                {
                    // A class the network does not output (an extracted classifier's) cannot be an exit answer.
                    if (m[i] >= threshold && outputOf.TryGetValue((int)c[i], out long output))
                    {
                        predicted[rows[i]] = output;
                        exitBlock[rows[i]] = block.BlockIndex;
                        spent[rows[i]] = cost.Through(block.BlockIndex);
                    }
                    else stay.Add(i);
                }
                if (stay.Count == rows.Length) continue;
                rows = stay.Select(i => rows[i]).ToArray();
                // index_select writes its result contiguous in the order of the dimensions it is given, so selecting from the
                // NHWC view keeps a channels-last batch channels-last in the one copy.
                if (rows.Length > 0)
                {
                    var running = tensor(stay.ToArray(), device: x.device);
                    x = network.ChannelsLast
                        ? x.permute(0, 2, 3, 1).index_select(0, running).permute(0, 3, 1, 2)
                        : x.index_select(0, running);
                }
            }
            if (rows.Length > 0)
            {
                var logits = network.ForwardHead(network.ForwardBlocks(x, from, network.Blocks.Count));
                var final = logits.argmax(1).data<long>().ToArray();
                for (int i = 0; i < rows.Length; i++) predicted[rows[i]] = final[i];
            }
        }
        finally { network.train(wasTraining); }
        return new EarlyExitPredictions(predicted, exitBlock, spent);
    }
}
