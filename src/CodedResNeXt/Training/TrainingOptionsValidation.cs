using System.Globalization;

namespace CodedResNeXt.Training;

/// <summary>
/// Range checks of every numeric hyperparameter, named by its CLI flag. Without them a NaN or negative rate
/// trains garbage for hours, and TorchSharp rejects some combinations (Nesterov without momentum) only with a
/// stack trace.
/// </summary>
public static class TrainingOptionsValidation
{
    public static void Validate(this TrainingOptions o)
    {
        if (o.Epochs < 1) Fail("--epochs", o.Epochs, "must be at least 1");
        if (o.BatchSize < 1) Fail("--batch", o.BatchSize, "must be at least 1");
        if (o.Threads < 1) Fail("--threads", o.Threads, "must be at least 1");
        if (!(double.IsFinite(o.LearningRate) && o.LearningRate > 0)) Fail("--lr", o.LearningRate, "must be a finite number above 0");
        if (!(double.IsFinite(o.MinLearningRate) && o.MinLearningRate >= 0)) Fail("--min-lr", o.MinLearningRate, "must be a finite number, 0 or more");
        if (o.MinLearningRate > o.LearningRate)
            Fail("--min-lr", o.MinLearningRate, $"is above --lr {Show(o.LearningRate)}; the cosine decays from --lr to --min-lr");
        if (!(double.IsFinite(o.WarmupEpochs) && o.WarmupEpochs >= 0)) Fail("--warmup", o.WarmupEpochs, "must be a finite number of epochs, 0 or more");
        if (!(double.IsFinite(o.WeightDecay) && o.WeightDecay >= 0)) Fail("--weight-decay", o.WeightDecay, "must be a finite number, 0 or more");
        if (!(o.Momentum >= 0 && o.Momentum < 1)) Fail("--momentum", o.Momentum, "is not in [0, 1)");
        if (o.Nesterov && o.Momentum == 0)
            throw new InvalidInputException("--momentum: Nesterov momentum needs a momentum above 0, not 0 (or pass --nesterov false)");
        if (!(double.IsFinite(o.Mu) && o.Mu >= 0)) Fail("--mu", o.Mu, "must be a finite number, 0 or more");
        if (!(o.PDrop >= 0 && o.PDrop < 1)) Fail("--p-drop", o.PDrop, "is not in [0, 1)");
        if (!(double.IsFinite(o.LossExponent) && o.LossExponent > 0)) Fail("--loss-exponent", o.LossExponent, "must be a finite number above 0");
        if (!(double.IsFinite(o.LossThreshold) && o.LossThreshold >= 0)) Fail("--loss-threshold", o.LossThreshold, "must be a finite number, 0 or more");
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Fail(string flag, double value, string what) =>
        throw new InvalidInputException($"{flag}: {Show(value)} {what}");
}
