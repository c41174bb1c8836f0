using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Training;

using CodedResNeXt.ModelFiles;

namespace CodedResNeXt;

/// <summary>
/// A checkpoint's description (<see cref="CodedResNeXtModel.Inspect"/>): the model's metadata (shared with every model
/// file) and its training record: the run's options and where training stood when it was written.
/// </summary>
public sealed record CheckpointInfo
{
    /// <param name="model">the model file's metadata</param>
    /// <param name="options">the run's hyperparameters</param>
    /// <param name="state">where training stood when the checkpoint was written</param>
    internal CheckpointInfo(ModelMetadata model, TrainingOptions options, TrainingState state)
    {
        Model = model;
        Options = options;
        State = state;
    }

    /// <summary>The model file's metadata.</summary>
    public ModelMetadata Model { get; init; }
    /// <summary>The run's hyperparameters.</summary>
    public TrainingOptions Options { get; init; }
    // Where training stood when the checkpoint was written.
    internal TrainingState State { get; init; }
    /// <summary>The epochs finished when the checkpoint was written (0: an imported, saved or untrained model).</summary>
    public int Epoch => State.Epoch;
    /// <summary>Optimizer steps already taken in the next epoch: non-zero only when the run stopped mid-epoch (MaxSteps, Ctrl+C).</summary>
    public int StepInEpoch => State.StepInEpoch;
    /// <summary>The best validation top-1 of the finished epochs; NaN before any.</summary>
    public double BestTop1 => State.BestTop1;
    /// <summary>The last finished epoch's figures, or those of the steps since when <see cref="StepInEpoch"/> is not 0 (unvalidated).</summary>
    public EpochMetrics LastMetrics => State.Metrics;
    /// <summary>Whether it holds what resuming its run needs (optimizer and generator state; an imported or saved model does not).</summary>
    public bool Resumable { get; init; }
    /// <summary>The run's epochs up to this checkpoint, from its copy of metrics.jsonl (read by <see cref="CodedResNeXtModel.Inspect"/>; empty otherwise).</summary>
    public IReadOnlyList<EpochMetrics> Log { get; init; } = [];
    /// <summary>The trained network's architecture.</summary>
    public ArchitectureSpec Architecture => Model.Architecture;
    /// <summary>All K class names, in class order.</summary>
    public IReadOnlyList<string> ClassNames => Model.ClassNames;
    /// <summary>The per-channel normalization the network was trained with; inputs must get the same.</summary>
    public Normalization Normalization => Model.Normalization;
    /// <summary>The catalogue name of the dataset it was trained on (<see cref="DatasetRegistry"/>).</summary>
    public string Dataset => Model.Dataset;
    /// <summary>Classes held out of training, kept as out-of-distribution data.</summary>
    public IReadOnlyList<int> ExcludedClasses => Model.ExcludedClasses;
}
