using CodedResNeXt.Model;

namespace CodedResNeXt.Training;

/// <summary>
/// What <see cref="Trainer.Run"/> did: the network as trained (in eval mode, on the run's device; the result owns it
/// until disposed), the epochs it finished and where it stopped.
/// </summary>
/// <param name="Network">the trained network, its weights as after the last step taken</param>
/// <param name="History">the epochs finished by this call, in order (a resumed run's earlier epochs are not here)</param>
/// <param name="StoppedAtStep">the global optimizer step at which the run stopped before its last epoch, if it did: at
/// <see cref="TrainingSetup.MaxSteps"/>, or after the step in flight when the cancellation token fired (with a run
/// folder, last.ckpt holds that step unless no step was taken)</param>
/// <param name="Cancelled">whether the cancellation token stopped the run before its last epoch</param>
internal sealed record TrainingResult(CodedResNeXtNetwork Network, IReadOnlyList<EpochMetrics> History, long? StoppedAtStep, bool Cancelled)
    : IDisposable
{
    /// <summary>
    /// The validation of the last epoch this call finished (final predictions and every early decoder; batch
    /// max(B, 256), the validation set in order), null when it finished none: what evaluating <see cref="Network"/>
    /// on the validation set again would give, when the call ended with a finished epoch.
    /// </summary>
    public Evaluation.EvaluationResult? LastEvaluation { get; init; }

    /// <summary>Frees the network.</summary>
    public void Dispose() => Network.Dispose();
}
