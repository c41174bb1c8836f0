using CodedResNeXt.ModelFiles;
using CodedResNeXt.Model;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A standalone classifier cut out of a trained Coded ResNeXt (docs/method.md#what-a-trained-network-gives-you): the smaller network that keeps
/// only the kept classes' paths and classifier rows, and its description with one decision threshold per class.
/// Owns the network.
/// </summary>
public sealed class ExtractedClassifier : IDisposable
{
    /// <param name="network">the extracted network; the classifier takes ownership</param>
    /// <param name="info">its description</param>
    internal ExtractedClassifier(CodedResNeXtNetwork network, BinaryClassifierInfo info)
    {
        Network = network;
        Info = info;
    }

    /// <summary>The smaller network, in eval mode: the kept classes' paths and classifier rows.</summary>
    public CodedResNeXtNetwork Network { get; }
    // Its description: the model file's metadata and the classifier section.
    internal BinaryClassifierInfo Info { get; }

    /// <summary>The record its file carries: the extracted architecture, all K class names, the input transform, the dataset.</summary>
    public ModelMetadata Metadata => BinaryClassifierFile.Metadata(Info);
    /// <summary>The kept classes (indices among all K), in the order of the classifier's outputs.</summary>
    public IReadOnlyList<int> KeptClasses => Info.KeptClasses;
    /// <summary>The names of the kept classes, in the order of the classifier's outputs.</summary>
    public IReadOnlyList<string> KeptClassNames => Info.KeptClassNames;
    /// <summary>One decision threshold per kept class, in the order of the classifier's outputs, with how its fit went.</summary>
    public IReadOnlyList<ClassThreshold> Thresholds => Info.Thresholds;
    /// <summary>How many training images the thresholds were fitted on (all of them, or a seeded subset).</summary>
    public int ThresholdSamples => Info.Classifier.ThresholdSamples;
    /// <summary>The full path of the model file it was extracted from, or "(a network in memory)".</summary>
    public string SourceCheckpoint => Info.Classifier.SourceCheckpoint;
    /// <summary>Learnable parameters of the extracted network.</summary>
    public long ParameterCount => Info.ParameterCount;
    /// <summary>Learnable parameters of the full network it was extracted from.</summary>
    public long FullParameterCount => Info.FullParameterCount;
    /// <summary>The share of the full network's parameters the classifier keeps, in (0, 1].</summary>
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
