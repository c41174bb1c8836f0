using System.Globalization;
using CodedResNeXt.Model;
using TorchSharp;

namespace CodedResNeXt.Training;

/// <summary>
/// A run whose loss or weights stop being finite has diverged; going on would only write NaN checkpoints over
/// good ones. Detected where the trainer already reads the loss (no extra host sync per step) and once per epoch
/// on the weights before a checkpoint is written; a model file with non-finite weights is refused on load.
/// </summary>
internal static class Divergence
{
    /// <summary>Stops the run at the first non-finite loss, naming the option most likely to blame (<see cref="Suspect"/>).</summary>
    public static void Fail(int epoch, int step, int steps, float loss, double learningRate, TrainingOptions? options = null)
    {
        var (option, advice) = Suspect(options);
        throw new TrainingDivergedException(option,
            $"the loss became {Show(loss)} at epoch {epoch}, step {step} of {steps} (learning rate {Show(learningRate)}" +
            (option == nameof(TrainingOptions.LearningRate) ? "" : $", {Named(option)} {Show(Value(options!, option))}") +
            $"): the run diverged and this epoch was not saved; try a lower {advice}");
    }

    /// <summary>Refuses to let non-finite weights reach a checkpoint.</summary>
    public static void CheckWeights(CodedResNeXtNetwork network, int epoch, TrainingOptions? options = null)
    {
        if (ModelFiles.FiniteWeights.FirstNonFinite(network) is { } name)
        {
            var (option, advice) = Suspect(options);
            throw new TrainingDivergedException(option,
                $"after epoch {epoch} the tensor {name} holds non-finite values: the run diverged and this epoch was not saved; try a lower {advice}");
        }
    }

    /// <summary>
    /// Which option a divergence most likely comes from: of the learning rate, the coding loss's weight mu and the weight
    /// decay (each scales the step), the one furthest above the dataset's recipe. A learning rate 10^4 times the recipe's
    /// diverges, and so does a mu of 10^30 at the recipe's rate: naming the rate then sends the user the wrong way.
    /// </summary>
    internal static (string Option, string Advice) Suspect(TrainingOptions? options)
    {
        if (options is null) return (nameof(TrainingOptions.LearningRate), "learning rate");
        TrainingOptions recipe;
        try { recipe = TrainingOptions.For(options.Dataset, options.Folder?.Crop ?? 160); }
        catch (InvalidInputException) { recipe = TrainingOptions.For("cifar10"); }
        var ratios = new[]
        {
            (nameof(TrainingOptions.LearningRate), options.LearningRate / recipe.LearningRate),
            (nameof(TrainingOptions.Mu), options.Mu / Math.Max(recipe.Mu, 1)),
            (nameof(TrainingOptions.WeightDecay), options.WeightDecay / Math.Max(recipe.WeightDecay, 1e-4)),
        };
        string option = ratios.MaxBy(r => r.Item2).Item1;
        return (option, Named(option));
    }

    private static string Named(string option) => option switch
    {
        nameof(TrainingOptions.Mu) => "mu",
        nameof(TrainingOptions.WeightDecay) => "weight decay",
        _ => "learning rate",
    };

    private static double Value(TrainingOptions o, string option) => option == nameof(TrainingOptions.Mu) ? o.Mu : o.WeightDecay;

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
