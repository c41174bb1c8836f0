namespace CodedResNeXt.Training;

/// <summary>Running figures of the epoch under way, reported every few steps.</summary>
/// <param name="Epoch">the epoch under way, counted from 1</param>
/// <param name="Epochs">the epochs of the whole run</param>
/// <param name="Step">optimizer steps done in this epoch</param>
/// <param name="StepsPerEpoch">optimizer steps in a whole epoch</param>
/// <param name="Loss">mean total loss over the epoch's samples so far</param>
/// <param name="CodingLoss">mean summed coding loss so far, before mu</param>
/// <param name="Accuracy">training top-1 so far, in [0, 1]</param>
/// <param name="ImagesPerSecond">throughput since the epoch (or the resumed part of it) started</param>
/// <param name="LearningRate">the rate of the last optimizer step</param>
public sealed record TrainingProgress(
    int Epoch,
    int Epochs,
    int Step,
    int StepsPerEpoch,
    double Loss,
    double CodingLoss,
    double Accuracy,
    double ImagesPerSecond,
    double LearningRate);
