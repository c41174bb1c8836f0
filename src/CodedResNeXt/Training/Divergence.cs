using System.Globalization;
using CodedResNeXt.Model;
using TorchSharp;

namespace CodedResNeXt.Training;

/// <summary>
/// A run whose loss or weights stop being finite has diverged; going on would only write NaN checkpoints over
/// good ones. Detected where the trainer already reads the loss (no extra host sync per step) and once per epoch
/// on the weights before a checkpoint is written; a model file with non-finite weights is refused on load.
/// </summary>
public static class Divergence
{
    /// <summary>Stops the run at the first non-finite loss.</summary>
    public static void Fail(int epoch, int step, int steps, float loss, double learningRate) =>
        throw new TrainingDivergedException(nameof(TrainingOptions.LearningRate),
            $"the loss became {Show(loss)} at epoch {epoch}, step {step} of {steps} (learning rate {Show(learningRate)}): " +
            "the run diverged and this epoch was not saved; try a lower learning rate");

    /// <summary>Refuses to let non-finite weights reach a checkpoint.</summary>
    public static void CheckWeights(CodedResNeXtNetwork network, int epoch)
    {
        if (ModelFiles.FiniteWeights.FirstNonFinite(network) is { } name)
            throw new TrainingDivergedException(nameof(TrainingOptions.LearningRate),
                $"after epoch {epoch} the tensor {name} holds non-finite values: the run diverged and this epoch was not saved; try a lower learning rate");
    }

    private static string Show(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>
/// A training run diverged (its loss or weights stopped being finite): a failure of the training, not of its input
/// (the CLI exits 3, not 2). Names the option most likely to blame, as the options records name it, apart from the
/// <see cref="Problem"/>.
/// </summary>
public sealed class TrainingDivergedException(string option, string problem) : Exception($"{option}: {problem}")
{
    /// <summary>The option to change (<c>LearningRate</c>).</summary>
    public string Option { get; } = option;
    /// <summary>What went wrong, without the option's name.</summary>
    public string Problem { get; } = problem;
}
