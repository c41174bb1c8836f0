using static TorchSharp.torch;

namespace CodedResNeXt.Evaluation;

/// <summary>What a network's final predictions score on a labelled set.</summary>
/// <param name="Count">images scored</param>
/// <param name="Top1">share of images whose highest logit is their class; NaN with no image</param>
/// <param name="Top5">share of images whose class is among the five highest logits; null below 20 classes</param>
/// <param name="PerClassAccuracy">top-1 among each class's images, by class; NaN for a class with no image</param>
/// <param name="Confusion">[true class][predicted class] counts</param>
public sealed record ClassificationResult(int Count, double Top1, double? Top5, IReadOnlyList<double> PerClassAccuracy, int[][] Confusion);

/// <summary>Top-1, per-class accuracy, the confusion matrix, and for 20 or more classes top-5 (how CIFAR-100 and ImageNet are judged).</summary>
/// <param name="classes">K, the network's classes</param>
internal sealed class ClassificationAccumulator(int classes) : IEvaluationAccumulator
{
    /// <summary>Top-5 is measured from this many classes on (20); with fewer it says little.</summary>
    public const int Top5MinimumClasses = 20;

    private readonly int[][] _confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
    private long _top5;
    private int _count;

    /// <summary>Counts the batch's final predictions into the confusion matrix and, with 20 or more classes, its top-5 hits.</summary>
    public void Add(EvaluatedBatch batch)
    {
        var truth = batch.LabelList;
        for (int i = 0; i < truth.Length; i++) _confusion[truth[i]][batch.Predicted![i]]++;
        _count += truth.Length;
        var logits = batch.Output!.Logits;
        if (classes >= Top5MinimumClasses && logits.shape[1] >= 5)
            _top5 += logits.topk(5, 1).indexes.eq(batch.Labels.unsqueeze(1)).any(1).sum().item<long>();
    }

    /// <summary>The figures over all batches so far; accuracies are NaN with no image (per class: no image of that class).</summary>
    public ClassificationResult Result()
    {
        long correct = Enumerable.Range(0, classes).Sum(k => (long)_confusion[k][k]);
        var perClass = _confusion.Select((row, k) => row.Sum() == 0 ? double.NaN : (double)row[k] / row.Sum()).ToList();
        double top1 = _count == 0 ? double.NaN : (double)correct / _count;
        double? top5 = classes >= Top5MinimumClasses ? (_count == 0 ? double.NaN : (double)_top5 / _count) : null;
        return new ClassificationResult(_count, top1, top5, perClass, _confusion);
    }
}
