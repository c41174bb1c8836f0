namespace CodedResNeXt.Prediction;

/// <summary>An extracted classifier's decision for one kept class: "yes" when <see cref="Score"/> (the logit) >= <see cref="Threshold"/>.</summary>
/// <param name="Class">the class, by index among all K</param>
/// <param name="Name">its class name</param>
/// <param name="Yes">whether <paramref name="Score"/> reaches <paramref name="Threshold"/></param>
/// <param name="Score">the classifier's logit for the class</param>
/// <param name="Threshold">the class's decision threshold (fitted for the best training F1)</param>
public sealed record ClassDecision(int Class, string Name, bool Yes, double Score, double Threshold);

/// <summary>A full network's prediction: the arg-max class and its softmax probability.</summary>
/// <param name="Class">the class, by index among all K</param>
/// <param name="Name">its class name</param>
/// <param name="Probability">its softmax probability, in [0, 1]; NaN from early-exit prediction, which computes none</param>
public sealed record PredictedClass(int Class, string Name, double Probability);

/// <summary>A coded block used as an early decoder (docs/method.md#what-a-trained-network-gives-you): the nearest codeword's class and its confidence.</summary>
/// <param name="BlockIndex">the coded block's index among all blocks</param>
/// <param name="Class">the class of the nearest codeword, by index among all K</param>
/// <param name="Name">its class name</param>
/// <param name="Confidence">the softmax of minus the distances at that class, in [0, 1]</param>
public sealed record EarlyDecoderPrediction(int BlockIndex, int Class, string Name, double Confidence);

/// <summary>
/// Where early exit lets an image go: the coded block it leaves at (null: it runs to the head) and the share of the
/// network's multiply-accumulates it costs; in an explanation (<see cref="ImageExplanation.EarlyExits"/>, one per
/// calibration), also the calibration's <see cref="Target"/> and the class the image would be given.
/// </summary>
/// <param name="ExitBlock">the index among all blocks of the coded block the image leaves at; null: it runs to the head</param>
/// <param name="ComputeFraction">the image's MACs over the full network's, in (0, 1]</param>
public sealed record EarlyExitDecision(int? ExitBlock, double ComputeFraction)
{
    /// <summary>In an explanation: the calibration's target agreement with the full network (null in a prediction).</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)] public double? Target { get; init; }
    /// <summary>In an explanation: the class the image would be given, by index among all K (a prediction has it in <see cref="ImagePrediction.Prediction"/>).</summary>
    public int? Class { get; init; }
    /// <summary>In an explanation: that class's name.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// What a model says about one image: an extracted classifier gives <see cref="Decisions"/> (one per kept class);
/// a full checkpoint gives <see cref="Prediction"/> and <see cref="EarlyDecoders"/> (one per coded block).
/// </summary>
/// <param name="Image">the file and how it was fitted to the input</param>
/// <param name="Decisions">an extracted classifier's decision per kept class, in output order; null for a full network</param>
/// <param name="Prediction">a full network's arg-max class; null for an extracted classifier</param>
/// <param name="EarlyDecoders">a full network's early decoders, one per coded block in order; null for an extracted classifier and for early exit</param>
public sealed record ImagePrediction(
    InputImage Image,
    IReadOnlyList<ClassDecision>? Decisions,
    PredictedClass? Prediction,
    IReadOnlyList<EarlyDecoderPrediction>? EarlyDecoders)
{
    /// <summary>Set by early-exit prediction only.</summary>
    public EarlyExitDecision? Exit { get; init; }
    /// <summary>The network's outputs: K logits for a full network, one per kept class for an extracted classifier; null for an image that left early.</summary>
    public IReadOnlyList<float>? Logits { get; init; }
    /// <summary>A full network's softmax over all K classes; null for an extracted classifier and for an image that left early.</summary>
    public IReadOnlyList<float>? Probabilities { get; init; }
}
