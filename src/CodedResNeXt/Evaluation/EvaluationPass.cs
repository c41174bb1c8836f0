using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Evaluation;

/// <summary>
/// One batch of an evaluation pass, as every accumulator sees it.
/// </summary>
/// <param name="Indices">dataset index of each image</param>
/// <param name="Labels">the class of each image, int64 [B] on the network's device</param>
/// <param name="LabelList">class of each image (host copy of <paramref name="Labels"/>)</param>
/// <param name="Output">the network's output (eval mode), or null when no accumulator asked for it</param>
/// <param name="Predicted">the final prediction of each image (argmax of the logits), or null with <paramref name="Output"/></param>
/// <param name="BlockInputs">the input of each block some accumulator asked for (<see cref="IEvaluationAccumulator.BlockInputs"/>)</param>
internal sealed record EvaluatedBatch(
    IReadOnlyList<int> Indices,
    Tensor Labels,
    int[] LabelList,
    NetworkOutput? Output,
    long[]? Predicted,
    IReadOnlyDictionary<int, Tensor> BlockInputs);

/// <summary>A measurement made over an evaluation pass, a batch at a time.</summary>
internal interface IEvaluationAccumulator
{
    /// <summary>Blocks whose input the measurement needs (to run the rest of the network differently from there).</summary>
    IEnumerable<int> BlockInputs => [];

    /// <summary>Whether the measurement needs the network's whole output; if no accumulator does, the pass stops early.</summary>
    bool NeedsOutput => true;

    /// <summary>
    /// Takes in one batch. Called once per batch, in loader order, inside the pass's dispose scope: the batch's
    /// tensors are freed after the call, so copy to the host whatever must outlive it.
    /// </summary>
    void Add(EvaluatedBatch batch);
}

/// <summary>
/// The one evaluation loop (train's validation, eval, analyze, threshold fitting): the network in eval mode without
/// gradients over one ordered pass of a loader, a dispose scope per batch, running the network's segments once and
/// handing each accumulator what it asked for.
/// </summary>
internal static class EvaluationPass
{
    /// <summary>
    /// Runs <paramref name="network"/> once over <paramref name="loader"/> and hands every batch to each accumulator, in
    /// order; the network stops after the last block an accumulator needs when none needs the whole output.
    /// </summary>
    /// <param name="network">run in eval mode without gradients, then put back in the mode it was in</param>
    /// <param name="loader">the images, in the loader's order (epoch 0)</param>
    /// <param name="accumulators">the measurements; each sees every batch, in this order</param>
    /// <param name="progress">images done so far, after each batch</param>
    /// <param name="cancel">checked between batches</param>
    public static void Run(CodedResNeXtNetwork network, BatchLoader loader, IReadOnlyList<IEvaluationAccumulator> accumulators,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var splits = accumulators.SelectMany(a => a.BlockInputs).Distinct().Order().ToList();
        bool needsOutput = accumulators.Any(a => a.NeedsOutput);
        int last = needsOutput ? network.Blocks.Count : splits.DefaultIfEmpty(0).Max();
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            int done = 0;
            foreach (var batch in loader.Epoch(0, cancel))
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (images, labels) = batch.ToTensors(network.Device);
                var inputs = new Dictionary<int, Tensor>();
                var energies = new List<Tensor>();
                var x = network.ForwardStem(images);
                int from = 0;
                foreach (int split in splits)
                {
                    var blocks = network.ForwardIntermediates(x, from, split);
                    x = blocks.Output;
                    energies.AddRange(blocks.Energies);
                    inputs[split] = x;
                    from = split;
                }
                NetworkOutput? output = null;
                long[]? predicted = null;
                if (needsOutput)
                {
                    var rest = network.ForwardIntermediates(x, from, last);
                    energies.AddRange(rest.Energies);
                    var logits = network.ForwardHead(rest.Output);
                    output = new NetworkOutput(logits, energies, network.CodedBlocks.Select(b => b.BlockIndex).ToList());
                    predicted = logits.argmax(1).data<long>().ToArray();
                }
                var evaluated = new EvaluatedBatch(batch.Indices, labels, batch.Labels.ToArray().Select(l => (int)l).ToArray(),
                    output, predicted, inputs);
                foreach (var accumulator in accumulators) accumulator.Add(evaluated);
                done += batch.Count;
                progress?.Report(done);
            }
        }
        finally { network.train(wasTraining); }
    }
}
