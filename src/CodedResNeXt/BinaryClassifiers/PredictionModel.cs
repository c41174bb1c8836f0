using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A model file ready to classify images: an extracted classifier (decisions against its stored thresholds) or a
/// training checkpoint (the predicted class and every early decoder's). Which one is read from the file's meta.json,
/// or, for a .onnx file exported from either (run by ONNX Runtime), from its metadata_props.
/// Owns the network.
/// </summary>
public sealed class PredictionModel : IDisposable
{
    private readonly CodedResNeXtNetwork? _network;
    private readonly OnnxModel? _onnx;
    private readonly IReadOnlyList<ClassThreshold>? _thresholds;
    private readonly IReadOnlyList<CodedBlock> _codedBlocks;

    private PredictionModel(ModelFileKind kind, CodedResNeXtNetwork network, Normalization normalization,
        IReadOnlyList<string> classNames, BinaryClassifierInfo? classifier)
    {
        Kind = kind;
        _network = network;
        Architecture = network.Architecture;
        Normalization = normalization;
        ClassNames = classNames;
        Classifier = classifier;
        _thresholds = classifier?.Thresholds;
        _codedBlocks = network.CodedBlocks;
    }

    private PredictionModel(OnnxModel onnx)
    {
        var meta = onnx.Metadata;
        Kind = meta.Kind;
        _onnx = onnx;
        Architecture = meta.Architecture;
        Normalization = meta.Normalization;
        ClassNames = meta.ClassNames;
        _thresholds = meta.Thresholds;
        var schemes = meta.SchemeResolver();
        _codedBlocks = onnx.CodedBlockIndices.Select(i => new CodedBlock(i, Architecture.Blocks[i], schemes(Architecture.Blocks[i].Scheme!))).ToList();
    }

    public ModelFileKind Kind { get; }
    /// <summary>The network, in eval mode (an ONNX file has none: it runs in ONNX Runtime).</summary>
    public CodedResNeXtNetwork Network => _network ?? throw new InvalidOperationException("an ONNX model runs in ONNX Runtime and has no TorchSharp network");
    public ArchitectureSpec Architecture { get; }
    /// <summary>Whether the model is an ONNX file run by ONNX Runtime.</summary>
    public bool IsOnnx => _onnx is not null;
    public Normalization Normalization { get; }
    /// <summary>All K class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The extracted classifier's description (null for a checkpoint, and for an ONNX file).</summary>
    public BinaryClassifierInfo? Classifier { get; }
    public int InputChannels => Architecture.InputChannels;
    public int ImageSize => Architecture.ImageSize;

    public static PredictionModel Load(string path, string flag = "--model")
    {
        if (OnnxModel.IsOnnxPath(path)) return new PredictionModel(OnnxModel.Load(path, flag: flag));
        if (BinaryClassifierFile.Identify(path, flag) == ModelFileKind.BinaryClassifier)
        {
            var extracted = BinaryClassifierFile.Load(path, flag);
            return new PredictionModel(ModelFileKind.BinaryClassifier, extracted.Network, extracted.Info.Normalization,
                extracted.Info.ClassNames, extracted.Info);
        }
        var (network, info) = Checkpoint.Load(path);
        return new PredictionModel(ModelFileKind.Checkpoint, network, info.Normalization, info.ClassNames, null);
    }

    /// <summary>Decodes the image files (see <see cref="InputImages"/>) and predicts each, in file order.</summary>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<string> files, int batchSize = 256)
    {
        var (images, sources) = InputImages.Load(files, InputChannels, ImageSize, ClassNames);
        return Predict(images, sources, batchSize);
    }

    /// <summary>Predicts every image of <paramref name="images"/> (raw bytes at the model's input shape), normalized as in training.</summary>
    public IReadOnlyList<ImagePrediction> Predict(ImageDataset images, IReadOnlyList<InputImage> sources, int batchSize = 256)
    {
        var results = new ImagePrediction[images.Count];
        var decoders = _codedBlocks.Select(b => new EarlyDecoder(b.Scheme)).ToList();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in BatchLoader.ForEvaluation(images, Normalization, batchSize).Epoch(0))
            {
                using var scope = NewDisposeScope();
                var (x, _) = batch.ToTensors();
                var (logits, energies) = Forward(x);
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = batch.Indices[i];
                    results[index] = _thresholds is null
                        ? Classify(sources[index], logits, energies, i, decoders)
                        : Decide(sources[index], logits[i]);
                }
            }
        }
        finally
        {
            foreach (var d in decoders) d.Dispose();
        }
        return results;
    }

    /// <summary>Logits and each coded block's energies of a normalized batch, from TorchSharp or ONNX Runtime.</summary>
    private (Tensor Logits, IReadOnlyList<Tensor> Energies) Forward(Tensor x)
    {
        if (_onnx is null)
        {
            var output = Network.call(x, null);
            return (output.Logits, output.BlockEnergies);
        }
        int batch = (int)x.shape[0];
        var result = _onnx.Run(x.contiguous().data<float>().ToArray(), batch);
        return (tensor(result.Logits, [batch, Architecture.Outputs]),
            result.Energies.Select((e, b) => tensor(e, [batch, _codedBlocks[b].Spec.SubNNs])).ToList());
    }

    private ImagePrediction Decide(InputImage source, Tensor logits)
    {
        var scores = logits.data<float>().ToArray();
        var decisions = _thresholds!.Select((t, j) =>
            new ClassDecision(t.Class, t.Name, scores[j] >= t.Threshold, scores[j], t.Threshold)).ToList();
        return new ImagePrediction(source, decisions, null, null);
    }

    private ImagePrediction Classify(InputImage source, Tensor logits, IReadOnlyList<Tensor> energies, int i, IReadOnlyList<EarlyDecoder> decoders)
    {
        var probabilities = nn.functional.softmax(logits[i], 0);
        int cls = (int)probabilities.argmax().item<long>();
        var prediction = new PredictedClass(cls, ClassNames[cls], probabilities[cls].item<float>());
        var early = decoders.Select((decoder, b) =>
        {
            var confidence = decoder.Confidence(energies[b][i..(i + 1)])[0];
            int k = (int)confidence.argmax().item<long>();
            return new EarlyDecoderPrediction(_codedBlocks[b].BlockIndex, k, ClassNames[k], confidence[k].item<float>());
        }).ToList();
        return new ImagePrediction(source, null, prediction, early);
    }

    public void Dispose()
    {
        _network?.Dispose();
        _onnx?.Dispose();
    }
}
