using CodedResNeXt.ModelFiles;
using CodedResNeXt.Model;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A standalone classifier cut out of a trained Coded ResNeXt (docs/method.md#what-a-trained-network-gives-you): the smaller network that keeps
/// only the kept classes' paths and classifier rows, and its description with one decision threshold per class.
/// Owns the network.
/// </summary>
/// <param name="network">the extracted network; the classifier takes ownership</param>
/// <param name="info">its description</param>
public sealed class ExtractedClassifier(CodedResNeXtNetwork network, BinaryClassifierInfo info) : IDisposable
{
    /// <summary>The smaller network, in eval mode: the kept classes' paths and classifier rows.</summary>
    public CodedResNeXtNetwork Network { get; } = network;
    /// <summary>Its description: kept classes, decision thresholds, the source and the parameter share.</summary>
    public BinaryClassifierInfo Info { get; } = info;

    /// <summary>The share of the full network's parameters the classifier keeps.</summary>
    public double ParameterFraction => Info.ParameterFraction;

    /// <summary>A predictor over this classifier's network (the classifier keeps ownership: dispose it after the predictor).</summary>
    public Prediction.PredictionModel Predictor() => Prediction.PredictionModel.From(this);

    /// <summary>Writes the classifier to a .crxb model file (atomically).</summary>
    public void Save(string path) => BinaryClassifierFile.Save(path, this);

    /// <summary>Frees the network.</summary>
    public void Dispose() => Network.Dispose();
}
