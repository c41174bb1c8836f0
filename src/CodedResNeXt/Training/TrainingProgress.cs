namespace CodedResNeXt.Training;

/// <summary>Running figures of the epoch under way, reported every few steps.</summary>
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
