namespace CodedResNeXt.Prediction;

/// <summary>An extracted classifier's decision for one kept class: "yes" when <see cref="Score"/> (the logit) >= <see cref="Threshold"/>.</summary>
public sealed record ClassDecision(int Class, string Name, bool Yes, double Score, double Threshold);

/// <summary>A full network's prediction: the arg-max class and its softmax probability.</summary>
public sealed record PredictedClass(int Class, string Name, double Probability);

/// <summary>A coded block used as an early decoder (docs/method.md#what-a-trained-network-gives-you): the nearest codeword's class and its confidence.</summary>
public sealed record EarlyDecoderPrediction(int BlockIndex, int Class, string Name, double Confidence);

/// <summary>Where an early-exit pass let an image go: the coded block it left at (null: it ran to the head) and the share of the network's multiply-accumulates it cost.</summary>
public sealed record EarlyExitDecision(int? ExitBlock, double ComputeFraction);

/// <summary>
/// What a model says about one image: an extracted classifier gives <see cref="Decisions"/> (one per kept class);
/// a full checkpoint gives <see cref="Prediction"/> and <see cref="EarlyDecoders"/> (one per coded block).
/// </summary>
public sealed record ImagePrediction(
    InputImage Image,
    IReadOnlyList<ClassDecision>? Decisions,
    PredictedClass? Prediction,
    IReadOnlyList<EarlyDecoderPrediction>? EarlyDecoders)
{
    /// <summary>Set by early-exit prediction only.</summary>
    public EarlyExitDecision? Exit { get; init; }
}
