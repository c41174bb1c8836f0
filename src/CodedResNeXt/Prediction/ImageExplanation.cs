using CodedResNeXt.Evaluation;
using CodedResNeXt.Decoding;

namespace CodedResNeXt.Prediction;

/// <summary>
/// What a model says about one image and why, as only a coded network can show it: the prediction, how each coded
/// block's subNN energies compare with the codewords of the predicted class and of the runner-up (the path lighting
/// up), where early exit would stop the image, what the binary classifiers answer, and the input gradients of the
/// class's own path beside the full network's.
/// </summary>
/// <param name="Image">the image and how it was fitted to the input</param>
/// <param name="Prediction">the model's prediction, with its logits and (for a full network) its probabilities</param>
/// <param name="Blocks">a full network's coded blocks in order (empty for an extracted classifier)</param>
/// <param name="EarlyExits">per early-exit calibration (those stored in the model file unless given), where the image would leave</param>
/// <param name="Classifiers">each binary classifier's answer: the model's own when it is one, then those given in the options</param>
/// <param name="Saliency">the input gradients of the explained class; null for an ONNX model (see <paramref name="SaliencyUnavailable"/>)</param>
/// <param name="SaliencyUnavailable">why there is no saliency map (an ONNX model has no gradients here); null when there is one</param>
/// <param name="Input">the image as the network saw it: uint8 [channel, row, column] at the model's input size, before normalization</param>
public sealed record ImageExplanation(
    InputImage Image,
    ImagePrediction Prediction,
    IReadOnlyList<BlockExplanation> Blocks,
    IReadOnlyList<EarlyExitDecision> EarlyExits,
    IReadOnlyList<ClassifierAnswer> Classifiers,
    SaliencyMaps? Saliency,
    string? SaliencyUnavailable,
    byte[] Input);

/// <summary>One coded block of a full network on one image: its energies against the codewords (Eq. 7 of the paper).</summary>
/// <param name="BlockIndex">the block's index among all blocks</param>
/// <param name="Scheme">the name of its coding scheme</param>
/// <param name="Energies">the normalized subNN energies the block computed (they sum to N), one per subNN</param>
/// <param name="ScaledEnergies">the same scaled to sum to N_act, the vector compared with the codewords</param>
/// <param name="PredictedCodeword">the codeword ('0101…', one digit per subNN) of the network's predicted class</param>
/// <param name="RunnerUpClass">the class with the network's second-highest probability, by index among all K</param>
/// <param name="RunnerUpCodeword">its codeword</param>
/// <param name="Distances">the Euclidean distance from the scaled energies to every class's codeword, in class order</param>
/// <param name="Vote">the block's early decoder: the nearest codeword's class and its confidence</param>
/// <param name="Margin">the distance to the second-nearest codeword minus the distance to the nearest (what early exit thresholds)</param>
public sealed record BlockExplanation(
    int BlockIndex,
    string Scheme,
    IReadOnlyList<double> Energies,
    IReadOnlyList<double> ScaledEnergies,
    string PredictedCodeword,
    int RunnerUpClass,
    string RunnerUpCodeword,
    IReadOnlyList<double> Distances,
    EarlyDecoderPrediction Vote,
    double Margin);

/// <summary>A binary classifier's answer on the image.</summary>
/// <param name="Model">how the classifier is named (its file, or the name it was given)</param>
/// <param name="Decisions">its decision per kept class: score (logit), threshold, yes or no</param>
public sealed record ClassifierAnswer(string Model, IReadOnlyList<ClassDecision> Decisions);

/// <summary>
/// Input gradients of one class's logit (saliency maps), with respect to the image's pixels in [0, 1], laid out
/// [channel, row, column]. <see cref="Path"/> keeps only the class's path (every subNN inactive in its codewords
/// removed): the extracted binary classifier's own gradient; <see cref="Full"/> is the whole network's; <see cref="GradCam"/>
/// is a coarser second view of the whole network.
/// </summary>
/// <param name="Class">the class explained, by index among all K</param>
/// <param name="Name">its class name</param>
/// <param name="Channels">channels of the input</param>
/// <param name="Height">rows of the input</param>
/// <param name="Width">columns of the input</param>
/// <param name="Path">d logit / d pixel through the class's path only</param>
/// <param name="Full">d logit / d pixel through the whole network; null for an extracted classifier, which has only its paths</param>
public sealed record SaliencyMaps(int Class, string Name, int Channels, int Height, int Width, IReadOnlyList<float> Path, IReadOnlyList<float>? Full)
{
    /// <summary>
    /// Grad-CAM at the last coded block (<see cref="GradCamBlock"/>): that block's output channels weighted by the
    /// class logit's gradient averaged over each channel, summed, negative values set to 0, scaled bilinearly to the
    /// input's Height x Width, [row * Width + column]. Null when the network has no coded block.
    /// </summary>
    public IReadOnlyList<float>? GradCam { get; init; }
    /// <summary>The block (index among all blocks) <see cref="GradCam"/> is taken at; null with no coded block.</summary>
    public int? GradCamBlock { get; init; }

    /// <summary>Per pixel, the largest absolute gradient over the channels, [row * Width + column]: the map as drawn.</summary>
    /// <param name="full">the whole network's map (<see cref="Full"/>) rather than the path's</param>
    public float[] Magnitude(bool full = false)
    {
        var gradient = full ? Full ?? throw new InvalidOperationException("an extracted classifier has no full network's map") : Path;
        int plane = Height * Width;
        var map = new float[plane];
        for (int c = 0; c < Channels; c++)
            for (int p = 0; p < plane; p++) map[p] = Math.Max(map[p], Math.Abs(gradient[c * plane + p]));
        return map;
    }
}

/// <summary>What <see cref="PredictionModel.Explain(string, ExplanationOptions?)"/> adds to the model's own answer.</summary>
public sealed record ExplanationOptions
{
    /// <summary>The class whose saliency maps are computed (index among all K); null: the predicted class (a classifier's first kept class).</summary>
    public int? SaliencyClass { get; init; }
    /// <summary>
    /// Binary classifiers (loaded with <see cref="PredictionModel.Load"/>), by the name the answers report, whose answers
    /// on the image are reported; each must take the model's input (channels and size).
    /// </summary>
    public IReadOnlyDictionary<string, PredictionModel> Classifiers { get; init; } = new Dictionary<string, PredictionModel>();
    /// <summary>The early-exit calibrations to report; null: those stored in the model file.</summary>
    public IReadOnlyList<EarlyExitCalibration>? Calibrations { get; init; }
}
