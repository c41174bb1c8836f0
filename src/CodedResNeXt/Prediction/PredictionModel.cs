using CodedResNeXt.Evaluation;
using TorchSharp;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Prediction;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using static TorchSharp.torch;

namespace CodedResNeXt.Prediction;

/// <summary>
/// A model file ready to classify images: an extracted classifier (decisions against its stored thresholds) or a
/// full network (the predicted class and every early decoder's). Which one is read from the file's metadata;
/// nothing of training is needed. A .onnx file exported from either (<see cref="OnnxModelExport"/>) runs in ONNX
/// Runtime instead, with the metadata it carries. A model loaded from a file owns its network; one made from a network
/// in memory (<see cref="From(CodedResNeXtNetwork, ModelMetadata, bool)"/>) leaves it to its owner unless told otherwise.
/// </summary>
public sealed partial class PredictionModel : IDisposable
{
    private readonly CodedResNeXtNetwork? _network;
    private readonly bool _ownsNetwork = true;
    // A model over a network in memory answers only while the network's owner (a CodedResNeXtModel, an extracted
    // classifier) is alive: afterwards its tensors are freed, and TorchSharp would fail with an empty handle.
    private readonly Func<bool>? _ownerDisposed;
    private bool _disposed;
    // The file the model came from, for errors about what it computes.
    private readonly string _source = "the model in memory";
    private readonly OnnxModel? _onnx;
    // For the ONNX path: each coded block's scheme and [K, N] codewords, as the network's CodedBlocks would give.
    private readonly IReadOnlyList<(int BlockIndex, CodingScheme Scheme, Tensor Codewords)> _onnxDecoders = [];

    private PredictionModel(CodedResNeXtNetwork network, ModelMetadata meta, BinaryClassifierInfo? classifier, bool ownsNetwork = true,
        Func<bool>? ownerDisposed = null, string? source = null)
    {
        _network = network;
        _ownerDisposed = ownerDisposed;
        _source = source ?? _source;
        _ownsNetwork = ownsNetwork;
        Meta = meta;
        Classifier = classifier;
    }

    private PredictionModel(OnnxModel onnx, BinaryClassifierInfo? classifier, string source)
    {
        _onnx = onnx;
        _source = source;
        Meta = onnx.Meta;
        Classifier = classifier;
        _onnxDecoders = onnx.CodedBlockIndices.Select(i =>
        {
            var spec = Meta.Architecture.Blocks[i];
            var scheme = Meta.SchemeSet[spec.Scheme!];
            var digits = scheme.CodewordMatrix(spec.OriginalSubNNs).Select(active => active ? 1f : 0f).ToArray();
            return (i, scheme, tensor(digits, [scheme.Classes, spec.SubNNs]));
        }).ToList();
    }

    /// <summary>The network, in eval mode (an ONNX file has none: it runs in ONNX Runtime).</summary>
    public CodedResNeXtNetwork Network => _network ?? throw new InvalidOperationException("an ONNX model runs in ONNX Runtime and has no TorchSharp network");
    /// <summary>Whether the model is an ONNX file run by ONNX Runtime.</summary>
    public bool IsOnnx => _onnx is not null;
    /// <summary>The architecture of the network (for a classifier: the kept paths).</summary>
    public ArchitectureSpec Architecture => Meta.Architecture;
    /// <summary>The record that travels with the model: classes, normalization, architecture, size.</summary>
    public ModelMetadata Meta { get; }
    /// <summary>The per-channel constants input images are normalized with, as in training.</summary>
    public Normalization Normalization => Meta.Normalization;
    /// <summary>All K class names.</summary>
    public IReadOnlyList<string> ClassNames => Meta.ClassNames;
    // The extracted classifier's description (null for a full network).
    internal BinaryClassifierInfo? Classifier { get; }
    /// <summary>Whether the model is an extracted classifier (decisions against <see cref="Thresholds"/>) rather than a full network.</summary>
    public bool IsClassifier => Classifier is not null;
    /// <summary>An extracted classifier's decision thresholds, one per kept class in the order of its outputs; null for a full network.</summary>
    public IReadOnlyList<ClassThreshold>? Thresholds => Classifier?.Thresholds;
    /// <summary>How an image becomes the model's input: the record its file carries (<see cref="ModelMetadata.InputTransform"/>).</summary>
    public InputTransform InputTransform => Meta.InputTransform;
    /// <summary>
    /// The sizes image files are fitted with (shorter side to Resize, centre crop) when the model's input record has
    /// them, as a folder-trained model's has; null: the centre square scaled to the input size.
    /// </summary>
    internal FolderGeometry? Folder => InputTransform.Folder;
    /// <summary>Channels of the input images (1 gray, 3 RGB).</summary>
    public int InputChannels => Architecture.InputChannels;
    /// <summary>
    /// The most pixels an image file may declare; a file declaring more is refused before it is decoded
    /// (<see cref="DefaultMaxImagePixels"/>, PIL's limit).
    /// </summary>
    public long MaxImagePixels { get; set; } = DefaultMaxImagePixels;


    /// <summary>Side of the square input images.</summary>
    public int ImageSize => Architecture.ImageSize;

    /// <summary>Where the batches go: the network's device (the CPU for ONNX Runtime, which takes host arrays).</summary>
    public Device Device => _network?.Device ?? CPU;

    /// <summary>
    /// A model over a network in memory: a full network (<paramref name="meta"/> of kind checkpoint) or an extracted
    /// classifier (kind binary-classifier, its thresholds in the metadata's classifier section).
    /// </summary>
    /// <param name="network">the network, put in eval mode here</param>
    /// <param name="meta">its metadata (<see cref="ModelMetadata.Of"/>)</param>
    /// <param name="ownsNetwork">whether disposing the model disposes the network</param>
    public static PredictionModel From(CodedResNeXtNetwork network, ModelMetadata meta, bool ownsNetwork = false) =>
        From(network, meta, ownsNetwork, null);

    internal static PredictionModel From(CodedResNeXtNetwork network, ModelMetadata meta, bool ownsNetwork, Func<bool>? ownerDisposed)
    {
        network.eval();
        var classifier = meta.Kind == BinaryClassifierFile.Kind ? BinaryClassifierFile.Info(meta, "the classifier in memory") : null;
        return new PredictionModel(network, meta, classifier, ownsNetwork, ownerDisposed);
    }

    /// <summary>A model over an extracted classifier in memory: decisions against its thresholds. The classifier keeps its network.</summary>
    /// <param name="classifier">the classifier (<see cref="BinaryClassifierExtraction.Extract"/>)</param>
    public static PredictionModel From(ExtractedClassifier classifier)
    {
        classifier.Network.eval();
        return new PredictionModel(classifier.Network, classifier.Info.Model, classifier.Info, ownsNetwork: false, () => classifier.IsDisposed);
    }

    /// <summary>Loads a checkpoint (.ckpt), a binary classifier (.crxb) or an ONNX file exported from either.</summary>
    /// <param name="path">the model file</param>
    /// <param name="device">where a TorchSharp network runs (e.g. TorchSharp's <c>torch.CUDA</c>); null: the CPU</param>
    public static PredictionModel Load(string path, Device? device = null)
    {
        if (OnnxModel.IsOnnxPath(path))
        {
            var onnx = OnnxModel.Load(path);
            try
            {
                return new PredictionModel(onnx, onnx.Meta.Kind == BinaryClassifierFile.Kind ? BinaryClassifierFile.Info(onnx.Meta, path) : null, path);
            }
            catch
            {
                onnx.Dispose();
                throw;
            }
        }
        var (network, meta) = ModelFile.Load(path);
        try
        {
            if (device is not null) network.to(device);
            var classifier = meta.Kind == BinaryClassifierFile.Kind ? BinaryClassifierFile.Info(meta, path) : null;
            return new PredictionModel(network, meta, classifier, source: path);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Predicts a batch of images given as pixels in [0, 1], [B, C, H, W] at the model's input size: they are normalized
    /// as in training (<see cref="Normalization"/>) and run at once. Row i is reported as image "tensor[i]".
    /// </summary>
    /// <param name="pixels">float images, each value a pixel's intensity in [0, 1]</param>
    public IReadOnlyList<ImagePrediction> Predict(Tensor pixels)
    {
        ThrowIfDisposed();
        if (pixels.dim() != 4 || pixels.shape[1] != InputChannels || pixels.shape[2] != ImageSize || pixels.shape[3] != ImageSize)
            throw new ArgumentException($"images must be [B, {InputChannels}, {ImageSize}, {ImageSize}], not [{string.Join(", ", pixels.shape)}]", nameof(pixels));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var mean = tensor(Normalization.Mean.ToArray(), [1, InputChannels, 1, 1]);
        var std = tensor(Normalization.Std.ToArray(), [1, InputChannels, 1, 1]);
        var x = ((pixels.to_type(ScalarType.Float32).cpu() - mean) / std).to(Device);
        var (logits, energies) = Forward(x);
        int batch = (int)pixels.shape[0];
        return Enumerable.Range(0, batch).Select(i =>
        {
            var source = new InputImage($"tensor[{i}]", ImageSize, ImageSize, false);
            return Classifier is null ? Classify(source, logits, energies, i) : Decide(source, logits[i]);
        }).ToList();
    }

    /// <summary>Decodes the image files (see <see cref="InputImages"/>) and predicts each, in file order.</summary>
    /// <param name="files">image files (<see cref="InputImages.Find"/> lists a folder's)</param>
    /// <param name="batchSize">images run at once</param>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<string> files, int batchSize = 256)
    {
        ThrowIfDisposed();
        var (images, sources) = InputImages.Load(files, InputChannels, ImageSize, ClassNames, Folder, MaxImagePixels);
        return Predict(images, sources, batchSize);
    }

    /// <summary>Predicts every image of <paramref name="images"/> (raw bytes at the model's input shape), normalized as in training.</summary>
    /// <param name="images">the images, at the model's input shape</param>
    /// <param name="sources">what each image is, for the predictions (as many as images)</param>
    /// <param name="batchSize">images run at once</param>
    public IReadOnlyList<ImagePrediction> Predict(ImageDataset images, IReadOnlyList<InputImage> sources, int batchSize = 256) =>
        OverBatches(images, batchSize, x =>
        {
            var (logits, energies) = Forward(x);
            return (i, index) => Classifier is null ? Classify(sources[index], logits, energies, i) : Decide(sources[index], logits[i]);
        });

    /// <summary>
    /// Every image's prediction, in dataset order: the images are normalized as in training and run in batches;
    /// <paramref name="predictBatch"/> runs one batch and gives the prediction of its row i (image index).
    /// </summary>
    private ImagePrediction[] OverBatches(ImageDataset images, int batchSize, Func<Tensor, Func<int, int, ImagePrediction>> predictBatch)
    {
        ThrowIfDisposed();
        var results = new ImagePrediction[images.Count];
        using var noGrad = no_grad();
        foreach (var batch in BatchLoader.ForEvaluation(images, Normalization, batchSize).Epoch(0))
        {
            using var scope = NewDisposeScope();
            var (x, _) = batch.ToTensors(Device);
            var predict = predictBatch(x);
            for (int i = 0; i < batch.Count; i++) results[batch.Indices[i]] = predict(i, batch.Indices[i]);
        }
        return results;
    }

    /// <summary>Decodes the image files and predicts each with early exit, in file order.</summary>
    /// <param name="files">image files</param>
    /// <param name="calibration">the exit thresholds (<see cref="CodedResNeXtModel.CalibrateEarlyExit"/>, or <see cref="StoredCalibration"/>)</param>
    /// <param name="batchSize">images run at once</param>
    /// <param name="onlyWhenFaster">exit only when exiting is measured faster than the full network on the first batch (the
    /// default; else the full network runs), or false: always exit where the calibration allows, whatever it costs</param>
    public IReadOnlyList<ImagePrediction> PredictEarlyExit(IReadOnlyList<string> files, EarlyExitCalibration calibration, int batchSize = 256,
        bool onlyWhenFaster = true)
    {
        ThrowIfDisposed();
        var (images, sources) = InputImages.Load(files, InputChannels, ImageSize, ClassNames, Folder, MaxImagePixels);
        return PredictEarlyExit(images, sources, calibration, batchSize, onlyWhenFaster);
    }

    /// <summary>
    /// What the last <see cref="PredictEarlyExit(ImageDataset, IReadOnlyList{InputImage}, EarlyExitCalibration, int, bool)"/>
    /// with onlyWhenFaster measured on its first batch; when <see cref="EarlyExitSpeed.Pays"/> is false, that call ran
    /// the full network (every image's <see cref="EarlyExitDecision.ExitBlock"/> is null). Null before such a call, or
    /// after one that always exits.
    /// </summary>
    public EarlyExitSpeed? LastEarlyExitSpeed { get; private set; }

    /// <summary>
    /// Early-exit prediction of a full network: each image leaves at the first coded block
    /// whose decoder is confident enough under <paramref name="calibration"/>, else runs to the head. Images that
    /// leave early get the early decoder's class, with no softmax probability (NaN).
    /// </summary>
    /// <param name="images">the images, at the model's input shape</param>
    /// <param name="sources">what each image is (as many as images)</param>
    /// <param name="calibration">the exit thresholds</param>
    /// <param name="batchSize">images run at once</param>
    /// <param name="onlyWhenFaster">exit only when exiting is measured faster than the full network on the first batch (the
    /// default; else the full network runs), or false: always exit where the calibration allows</param>
    public IReadOnlyList<ImagePrediction> PredictEarlyExit(ImageDataset images, IReadOnlyList<InputImage> sources, EarlyExitCalibration calibration,
        int batchSize = 256, bool onlyWhenFaster = true)
    {
        if (Classifier is not null || _network is null)
            throw new InvalidOperationException("early exit needs a full network in TorchSharp (not an extracted classifier or an ONNX file)");
        var network = _network;
        var cost = ComputeCost.Of(Architecture);
        LastEarlyExitSpeed = null;
        var used = calibration;
        bool decided = !onlyWhenFaster;
        return OverBatches(images, batchSize, x =>
        {
            if (!decided)
            {
                // Decided once, on the first batch: every later batch runs the same way.
                decided = true;
                LastEarlyExitSpeed = EarlyExit.MeasureSpeed(network, x, calibration);
                if (!LastEarlyExitSpeed.Pays) used = EarlyExit.NoExits(calibration);
            }
            var early = EarlyExit.Predict(network, x, used);
            return (i, index) =>
            {
                int cls = Meta.KeptClasses[(int)early.Predicted[i]];
                int? left = early.ExitBlock[i] >= 0 ? early.ExitBlock[i] : null;
                return new ImagePrediction(sources[index], null, new PredictedClass(cls, ClassNames[cls], double.NaN), null)
                {
                    Exit = new EarlyExitDecision(left, (double)early.Cost[i] / cost.Total),
                };
            };
        });
    }

    /// <summary>
    /// Logits and each coded block's energies of a normalized batch, from TorchSharp or ONNX Runtime. A NaN or infinity
    /// among them (which no trained network computes from a finite image, and which would print as a prediction) is an
    /// <see cref="InvalidInputException"/> naming the model file.
    /// </summary>
    private (Tensor Logits, IReadOnlyList<Tensor> Energies) Forward(Tensor x)
    {
        Tensor logits;
        IReadOnlyList<Tensor> energies;
        if (_onnx is null)
        {
            var output = Network.call(x);
            (logits, energies) = (output.Logits, output.BlockEnergies);
        }
        else
        {
            int batch = (int)x.shape[0];
            var result = _onnx.Run(x.cpu().contiguous().data<float>().ToArray(), batch);
            logits = tensor(result.Logits, [batch, Architecture.Outputs]);
            energies = result.Energies.Select((e, b) => tensor(e, [batch, _onnxDecoders[b].Codewords.shape[1]])).ToList();
        }
        foreach (var (values, what) in energies.Select(e => (e, "energies")).Prepend((logits, "logits")))
            if (!isfinite(values).all().item<bool>())
                throw InvalidInputException.ForFile(_source, $"the network computed non-finite {what} (NaN or infinity) from finite images: " +
                                                             "its weights are not a trained network's");
        return (logits, energies);
    }

    private ImagePrediction Decide(InputImage source, Tensor logits)
    {
        var scores = logits.data<float>().ToArray();
        var decisions = Classifier!.Thresholds.Select((t, j) =>
            new ClassDecision(t.Class, t.Name, scores[j] >= t.Threshold, scores[j], t.Threshold)).ToList();
        return new ImagePrediction(source, decisions, null, null) { Logits = scores };
    }

    private ImagePrediction Classify(InputImage source, Tensor logits, IReadOnlyList<Tensor> energies, int i)
    {
        var probabilities = nn.functional.softmax(logits[i], 0);
        int cls = (int)probabilities.argmax().item<long>();
        var prediction = new PredictedClass(cls, ClassNames[cls], probabilities[cls].item<float>());
        var blocks = _network is null
            ? _onnxDecoders
            : _network.CodedBlocks.Select(block => (block.BlockIndex, block.Scheme, block.Codewords)).ToList();
        var early = blocks.Select((block, b) =>
        {
            var confidence = EarlyDecoder.Confidence(energies[b][i..(i + 1)], block.Scheme, block.Codewords)[0];
            int k = (int)confidence.argmax().item<long>();
            return new EarlyDecoderPrediction(block.BlockIndex, k, ClassNames[k], confidence[k].item<float>());
        }).ToList();
        return new ImagePrediction(source, null, prediction, early)
        {
            Logits = logits[i].data<float>().ToArray(), Probabilities = probabilities.data<float>().ToArray(),
        };
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(PredictionModel));
        if (_ownerDisposed?.Invoke() == true)
            throw new ObjectDisposedException(nameof(PredictionModel), "the model or classifier this predictor was made from has been disposed");
    }

    /// <summary>Frees the network (when the model owns it) or the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (_ownsNetwork) _network?.Dispose();
        _onnx?.Dispose();
        foreach (var d in _onnxDecoders) d.Codewords.Dispose();
    }
}
