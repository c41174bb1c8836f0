using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;

namespace CodedResNeXt.Evaluation;

/// <summary>What `crx train` (after every epoch) and `crx eval` report: the final predictions and every early decoder.</summary>
public sealed record EvaluationResult(ClassificationResult Classification, EarlyDecodingResult EarlyDecoding)
{
    public static EvaluationResult Measure(CodedResNeXtNetwork network, BatchLoader loader, int classes, CancellationToken cancel = default)
    {
        var classification = new ClassificationAccumulator(classes);
        var early = new EarlyDecodingAccumulator(network.CodedBlocks);
        EvaluationPass.Run(network, loader, [classification, early], cancel: cancel);
        return new EvaluationResult(classification.Result(), early.Result());
    }
}
