namespace CodedResNeXt.Training;

/// <summary>
/// Where a run stands: <paramref name="Epoch"/> epochs done, then <paramref name="StepInEpoch"/> steps of the next
/// (non-zero only when --max-steps stopped it mid-epoch; <paramref name="Metrics"/> then cover those steps, unvalidated).
/// </summary>
/// <param name="Epoch">epochs finished</param>
/// <param name="BestTop1">the best validation top-1 of the finished epochs; NaN before any</param>
/// <param name="Metrics">the last finished epoch's figures, or those of the steps since when <paramref name="StepInEpoch"/> is not 0</param>
/// <param name="StepInEpoch">optimizer steps already taken in the next epoch (0 at an epoch's end)</param>
internal sealed record TrainingState(int Epoch, double BestTop1, EpochMetrics Metrics, int StepInEpoch = 0)
{
    /// <summary>The state of a network nothing has trained here (an imported or untrained one): epoch 0, no figures.</summary>
    /// <param name="codedBlocks">the network's coded blocks, one per-block figure each</param>
    public static TrainingState NothingTrained(int codedBlocks)
    {
        var none = new EpochMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN, Enumerable.Repeat(double.NaN, codedBlocks).ToList(),
            double.NaN, Enumerable.Repeat(double.NaN, codedBlocks).ToList(), double.NaN, double.NaN, 0);
        return new TrainingState(0, double.NaN, none);
    }
}

/// <summary>The "training" section of a checkpoint's metadata: how the network was trained and where training stood.</summary>
/// <param name="Options">the run's hyperparameters</param>
/// <param name="State">where training stood when the checkpoint was written</param>
internal sealed record TrainingRecord(TrainingOptions Options, TrainingState State);
