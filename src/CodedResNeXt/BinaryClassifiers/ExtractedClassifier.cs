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

    /// <summary>Whether <see cref="Dispose"/> has freed the network.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>
    /// A predictor over this classifier's network (the classifier keeps ownership; once it is disposed, the predictor
    /// throws <see cref="ObjectDisposedException"/>).
    /// </summary>
    public Prediction.PredictionModel Predictor() => Prediction.PredictionModel.From(ThrowIfDisposed());

    /// <summary>Writes the classifier to a .crxb model file (atomically).</summary>
    public void Save(string path) => BinaryClassifierFile.Save(path, ThrowIfDisposed());

    /// <summary>
    /// Writes the classifier as an ONNX file (its logits, its thresholds and input record in the metadata), which
    /// <see cref="Prediction.PredictionModel.Load"/> and plain ONNX Runtime run; an existing file is not overwritten.
    /// </summary>
    /// <param name="path">the .onnx file to write</param>
    public void ExportOnnx(string path) => Interop.Onnx.OnnxModelExport.Export(ThrowIfDisposed().Network, BinaryClassifierFile.Metadata(Info), path);

    /// <summary>
    /// Writes the classifier as an int8 ONNX file (QDQ form, BN folded, its logits float), calibrated on images of the
    /// dataset its metadata names or those <paramref name="quantization"/> gives; an existing file is not overwritten.
    /// </summary>
    /// <param name="path">the .onnx file to write</param>
    /// <param name="quantization">where the calibration images come from and how the ranges are chosen</param>
    public void ExportOnnx(string path, Interop.QuantizationOptions quantization) =>
        Interop.Onnx.OnnxModelExport.Export(ThrowIfDisposed().Network, BinaryClassifierFile.Metadata(Info), path, quantization);

    private ExtractedClassifier ThrowIfDisposed() => IsDisposed ? throw new ObjectDisposedException(nameof(ExtractedClassifier)) : this;

    /// <summary>Frees the network.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        Network.Dispose();
    }
}
