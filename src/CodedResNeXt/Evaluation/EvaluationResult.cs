using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;

namespace CodedResNeXt.Evaluation;

/// <summary>What `crx train` (after every epoch) and `crx eval` report: the final predictions and every early decoder.</summary>
/// <param name="Classification">top-1, top-5, per-class accuracy and confusion of the final predictions</param>
/// <param name="EarlyDecoding">the accuracy of every coded block as an early decoder</param>
public sealed record EvaluationResult(ClassificationResult Classification, EarlyDecodingResult EarlyDecoding)
{
    /// <summary>One evaluation pass of <paramref name="network"/> over <paramref name="loader"/>: final predictions and every early decoder.</summary>
    /// <param name="network">the network to evaluate; put back in the mode it was in</param>
    /// <param name="loader">a labelled set, in evaluation order (<see cref="BatchLoader.ForEvaluation"/>)</param>
    /// <param name="classes">K, the network's classes</param>
    /// <param name="cancel">stops the pass between batches</param>
    internal static EvaluationResult Measure(CodedResNeXtNetwork network, BatchLoader loader, int classes, CancellationToken cancel = default)
    {
        var classification = new ClassificationAccumulator(classes);
        var early = new EarlyDecodingAccumulator(network.CodedBlocks);
        EvaluationPass.Run(network, loader, [classification, early], cancel: cancel);
        return new EvaluationResult(classification.Result(), early.Result());
    }
}
