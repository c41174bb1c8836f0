using System.Globalization;

namespace CodedResNeXt.Training;

/// <summary>
/// Range checks of every numeric hyperparameter and setting, each error about its option (the CLI names the flag). Without
/// them a NaN or negative rate trains garbage for hours, and TorchSharp rejects some combinations (Nesterov
/// without momentum) only with a stack trace.
/// </summary>
internal static class TrainingOptionsValidation
{
    /// <summary>Throws an <see cref="InvalidInputException"/> about the first hyperparameter of <paramref name="o"/> that is out of range (NaN included).</summary>
    public static void Validate(this TrainingOptions o)
    {
        if (o.Epochs < 1) Fail(nameof(o.Epochs), o.Epochs, "must be at least 1");
        if (o.BatchSize < 1) Fail(nameof(o.BatchSize), o.BatchSize, "must be at least 1");
        if (o.Accumulate < 1) Fail(nameof(o.Accumulate), o.Accumulate, "must be at least 1");
        if (!(double.IsFinite(o.LearningRate) && o.LearningRate > 0)) Fail(nameof(o.LearningRate), o.LearningRate, "must be a finite number above 0");
        if (!(double.IsFinite(o.MinLearningRate) && o.MinLearningRate >= 0)) Fail(nameof(o.MinLearningRate), o.MinLearningRate, "must be a finite number, 0 or more");
        if (o.MinLearningRate > o.LearningRate)
            Fail(nameof(o.MinLearningRate), o.MinLearningRate, $"is above the initial learning rate {Show(o.LearningRate)}; the cosine decays from that rate to this one");
        if (!(double.IsFinite(o.WarmupEpochs) && o.WarmupEpochs >= 0)) Fail(nameof(o.WarmupEpochs), o.WarmupEpochs, "must be a finite number of epochs, 0 or more");
        if (!(double.IsFinite(o.WeightDecay) && o.WeightDecay >= 0)) Fail(nameof(o.WeightDecay), o.WeightDecay, "must be a finite number, 0 or more");
        if (!(o.Momentum >= 0 && o.Momentum < 1)) Fail(nameof(o.Momentum), o.Momentum, "is not in [0, 1)");
        if (o.Nesterov && o.Momentum == 0)
            throw InvalidInputException.ForOption(nameof(o.Momentum), "Nesterov momentum needs a momentum above 0, not 0 (or turn Nesterov off)");
        if (!(double.IsFinite(o.Mu) && o.Mu >= 0)) Fail(nameof(o.Mu), o.Mu, "must be a finite number, 0 or more");
        if (!(o.PDrop >= 0 && o.PDrop < 1)) Fail(nameof(o.PDrop), o.PDrop, "is not in [0, 1)");
        if (!(double.IsFinite(o.LossExponent) && o.LossExponent > 0)) Fail(nameof(o.LossExponent), o.LossExponent, "must be a finite number above 0");
        if (!(double.IsFinite(o.LossThreshold) && o.LossThreshold >= 0)) Fail(nameof(o.LossThreshold), o.LossThreshold, "must be a finite number, 0 or more");
        var augmentation = o.Augmentation;
        if (augmentation.CropPadding < 0) Fail(nameof(augmentation.CropPadding), augmentation.CropPadding, "is negative");
        if (augmentation.ResizedCrop < 0) Fail(nameof(augmentation.ResizedCrop), augmentation.ResizedCrop, "is negative");
        if (augmentation.ResizedCrop > Data.FolderGeometry.MaxSide)
            Fail(nameof(augmentation.ResizedCrop), augmentation.ResizedCrop, $"is more than {Data.FolderGeometry.MaxSide} pixels");
        // libtorch computes in float32: a rate or weight beyond its range is infinite there (and refused by TorchSharp
        // with a native error), not the number given.
        foreach (var (name, value) in new[]
        {
            (nameof(o.LearningRate), o.LearningRate), (nameof(o.MinLearningRate), o.MinLearningRate), (nameof(o.WarmupEpochs), o.WarmupEpochs),
            (nameof(o.WeightDecay), o.WeightDecay), (nameof(o.Mu), o.Mu), (nameof(o.LossExponent), o.LossExponent), (nameof(o.LossThreshold), o.LossThreshold),
        })
            if (value > float.MaxValue) Fail(name, value, $"is beyond float32, which training computes in (at most 3.4E+38)");
    }

    /// <summary>Throws an <see cref="InvalidInputException"/> about the first setting of <paramref name="s"/> out of range.</summary>
    public static void Validate(this TrainingSetup s)
    {
        Runtime.ProcessSettings.RequireThreads(s.Threads, nameof(s.Threads));
        if (s.Workers < 0 || s.Workers > Runtime.ProcessSettings.MaxThreads)
            Fail(nameof(s.Workers), s.Workers, $"is not in 0..{Runtime.ProcessSettings.MaxThreads} (4 per core; 0 means one per core)");
        if (s.MaxSteps is < 1) Fail(nameof(s.MaxSteps), s.MaxSteps.Value, "must be at least 1");
        if (s.Resume && s.InitFrom is not null)
            throw InvalidInputException.ForOption(nameof(s.InitFrom), "a resumed run continues from its own checkpoint; leave it out");
        if (s.Resume && s.RunDirectory is null)
            throw InvalidInputException.ForOption(nameof(s.Resume), "a run in memory has no checkpoint to resume from; give the run folder");
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Fail(string option, double value, string what) =>
        throw InvalidInputException.ForOption(option, $"{Show(value)} {what}");
}
