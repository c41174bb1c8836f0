using CodedResNeXt.Prediction;

namespace CodedResNeXt.Report;

/// <summary>
/// A model's explanations of some images, with what is needed to read them: the document `crx explain` embeds in its
/// page and the serving API's explain endpoint answers (serialized with the model files' JSON conventions, snake_case).
/// </summary>
/// <param name="Model">the model's name (its file, or the name it is served under)</param>
/// <param name="Kind">"checkpoint" or "binary-classifier"</param>
/// <param name="ClassNames">all K class names</param>
/// <param name="InputChannels">channels of the model's input</param>
/// <param name="ImageSize">side of the model's square input</param>
/// <param name="Explanations">one per image, in order</param>
public sealed record ModelExplanations(string Model, string Kind, IReadOnlyList<string> ClassNames, int InputChannels, int ImageSize,
    IReadOnlyList<ImageExplanation> Explanations)
{
    /// <summary>The document for <paramref name="explanations"/> of <paramref name="model"/>, named <paramref name="name"/>.</summary>
    public static ModelExplanations Of(PredictionModel model, string name, IReadOnlyList<ImageExplanation> explanations) =>
        new(name, model.Meta.Kind, model.ClassNames, model.InputChannels, model.ImageSize, explanations);
}
