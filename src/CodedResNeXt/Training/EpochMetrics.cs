namespace CodedResNeXt.Training;

/// <summary>What one epoch measured; one line of metrics.jsonl.</summary>
/// <param name="Epoch">the epoch, counted from 1</param>
/// <param name="TrainLoss">mean total loss over the epoch's training samples</param>
/// <param name="TrainCrossEntropy">mean cross-entropy over them</param>
/// <param name="TrainCodingLoss">mean summed coding loss over them, before mu</param>
/// <param name="TrainAccuracy">top-1 on the training batches as trained (augmented, with dropSubNNs), in [0, 1]</param>
/// <param name="CodingLossPerBlock">mean coding loss of each coded block, in block order</param>
/// <param name="ValidationTop1">top-1 on the validation set after the epoch; NaN when not validated</param>
/// <param name="EarlyDecoderAccuracy">validation accuracy of each coded block used as an early decoder, in block order</param>
/// <param name="LearningRate">the rate of the epoch's last optimizer step</param>
/// <param name="ImagesPerSecond">training throughput of the epoch, validation excluded</param>
/// <param name="Seconds">wall-clock time of the epoch's training steps, validation excluded</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainCrossEntropy,
    double TrainCodingLoss,
    double TrainAccuracy,
    IReadOnlyList<double> CodingLossPerBlock,
    double ValidationTop1,
    IReadOnlyList<double> EarlyDecoderAccuracy,
    double LearningRate,
    double ImagesPerSecond,
    double Seconds)
{
    /// <summary>Validation top-5 for 20 or more classes (CIFAR-100 and ImageNet are judged by it), else null.</summary>
    public double? ValidationTop5 { get; init; }
}
