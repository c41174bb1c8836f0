using TorchSharp;
using static TorchSharp.torch.optim;

namespace CodedResNeXt.Training;

/// <summary>
/// Cosine annealing from the initial rate to the minimum, after an optional linear warm-up, stepped once
/// per iteration (short runs have few epochs, so a per-epoch schedule would be too coarse).
/// </summary>
internal static class LearningRateSchedule
{
    /// <summary>
    /// The scheduler of a run of <see cref="TrainingOptions.Epochs"/> × <paramref name="stepsPerEpoch"/> steps, to be
    /// stepped after every optimizer step: a linear warm-up over <see cref="TrainingOptions.WarmupEpochs"/> (none at 0),
    /// then a cosine from the optimizer's rate down to <see cref="TrainingOptions.MinLearningRate"/>.
    /// </summary>
    /// <param name="optimizer">the optimizer, its rate set to <see cref="TrainingOptions.LearningRate"/></param>
    /// <param name="options">epochs, warm-up and minimum rate</param>
    /// <param name="stepsPerEpoch">optimizer steps per epoch</param>
    public static lr_scheduler.LRScheduler Create(Optimizer optimizer, TrainingOptions options, int stepsPerEpoch)
    {
        int total = Math.Max(1, options.Epochs * stepsPerEpoch);
        int warmup = Math.Min(total - 1, (int)Math.Round(options.WarmupEpochs * stepsPerEpoch));
        if (warmup <= 0)
            return lr_scheduler.CosineAnnealingLR(optimizer, total, options.MinLearningRate);
        var rampUp = lr_scheduler.LinearLR(optimizer, 1.0 / warmup, 1.0, warmup);
        var cosine = lr_scheduler.CosineAnnealingLR(optimizer, total - warmup, options.MinLearningRate);
        return lr_scheduler.SequentialLR(optimizer, [rampUp, cosine], [warmup]);
    }
}
