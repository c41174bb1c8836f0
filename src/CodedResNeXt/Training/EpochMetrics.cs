namespace CodedResNeXt.Training;

/// <summary>What one epoch measured; one line of metrics.jsonl.</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainCrossEntropy,
    double TrainCodingLoss,
    double TrainAccuracy,
    /// <summary>Mean coding loss of each coded block, in block order.</summary>
    IReadOnlyList<double> CodingLossPerBlock,
    double ValidationTop1,
    /// <summary>Validation accuracy of each coded block used as an early decoder, in block order.</summary>
    IReadOnlyList<double> EarlyDecoderAccuracy,
    double LearningRate,
    double ImagesPerSecond,
    double Seconds)
{
    /// <summary>Validation top-5 for 20 or more classes (CIFAR-100 and ImageNet are judged by it), else null.</summary>
    public double? ValidationTop5 { get; init; }
}
