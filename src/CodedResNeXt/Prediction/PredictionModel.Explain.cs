using CodedResNeXt.Evaluation;
using CodedResNeXt.Data;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Prediction;

public sealed partial class PredictionModel
{
    /// <summary>
    /// Decodes images held in memory (uploads) into the model's input, fitted by its <see cref="InputTransform"/> and
    /// checked against <see cref="MaxImagePixels"/> as files are; for <see cref="Predict(ImageDataset, IReadOnlyList{InputImage}, int)"/>.
    /// Reads only the model's metadata, so it may run on any thread while another predicts.
    /// </summary>
    /// <param name="images">the encoded PNG or JPEG images</param>
    public (ImageDataset Images, IReadOnlyList<InputImage> Sources) LoadImages(IReadOnlyList<EncodedImage> images) =>
        InputImages.Load(images, InputChannels, ImageSize, ClassNames, Folder, MaxImagePixels);

    /// <summary>
    /// The image files <see cref="Predict(IReadOnlyList{string}, int)"/> takes from a path: the file itself, or every .png,
    /// .jpg and .jpeg file in the folder, sorted by name; an <see cref="InvalidInputException"/> naming the path when it
    /// does not exist or the folder holds no image.
    /// </summary>
    /// <param name="fileOrFolder">an image file, or a folder of them</param>
    public static IReadOnlyList<string> FindImages(string fileOrFolder) => InputImages.Find(fileOrFolder);

    /// <summary>
    /// Writes this model (a checkpoint's network: logits and every coded block's energies; an extracted classifier: its
    /// logits, thresholds in the metadata) as an ONNX file with its input record, float32 or, with
    /// <paramref name="quantization"/>, int8 (QDQ form, calibrated on images of the dataset its metadata names or those
    /// the options give); an existing file is not overwritten. An ONNX model has no network to export (an
    /// <see cref="InvalidOperationException"/>).
    /// </summary>
    /// <param name="path">the .onnx file to write (its folder is created)</param>
    /// <param name="quantization">null for float32; the calibration images and method for int8</param>
    public void ExportOnnx(string path, Interop.QuantizationOptions? quantization = null)
    {
        ThrowIfDisposed();
        Interop.Onnx.OnnxModelExport.Export(Network, Meta, path, quantization, _source);
    }

    /// <summary>The most pixels an image may declare unless <see cref="MaxImagePixels"/> says otherwise (PIL's limit).</summary>
    public const long DefaultMaxImagePixels = Data.Formats.ImageDecoder.DefaultMaxPixels;

    /// <summary>
    /// The early-exit calibration stored in the model file for <paramref name="target"/> (<c>crx eval --early-exit TARGET
    /// --store-calibration</c>, <see cref="CodedResNeXtModel.StoreCalibration"/>); an <see cref="InvalidInputException"/>
    /// naming the file and the targets it holds otherwise.
    /// </summary>
    /// <param name="target">the calibration's target agreement, e.g. 0.99</param>
    public EarlyExitCalibration StoredCalibration(double target) => StoredCalibrations.StoredFor(Meta, _source, target);

    /// <summary>Decodes images held in memory (uploads) and predicts each, in order.</summary>
    /// <param name="images">the encoded PNG or JPEG images</param>
    /// <param name="batchSize">images run at once</param>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<EncodedImage> images, int batchSize = 256)
    {
        ThrowIfDisposed();
        var (dataset, sources) = LoadImages(images);
        return Predict(dataset, sources, batchSize);
    }

    /// <summary>Explains the model's answer on one image file (see <see cref="ImageExplanation"/>).</summary>
    /// <param name="file">a PNG or JPEG file</param>
    /// <param name="options">the saliency class, classifiers to ask, calibrations (null: the defaults)</param>
    public ImageExplanation Explain(string file, ExplanationOptions? options = null)
    {
        ThrowIfDisposed();
        var (images, sources) = InputImages.Load([file], InputChannels, ImageSize, ClassNames, Folder, MaxImagePixels);
        return Explain(images, 0, sources[0], options);
    }

    /// <summary>Explains the model's answer on one image held in memory (an upload).</summary>
    /// <param name="image">the encoded PNG or JPEG image</param>
    /// <param name="options">the saliency class, classifiers to ask, calibrations (null: the defaults)</param>
    public ImageExplanation Explain(EncodedImage image, ExplanationOptions? options = null)
    {
        ThrowIfDisposed();
        var (images, sources) = LoadImages([image]);
        return Explain(images, 0, sources[0], options);
    }

    /// <summary>
    /// Explains the model's answer on image <paramref name="index"/> of <paramref name="images"/> (at the model's input shape):
    /// the prediction; for a full network, every coded block's energies against the codewords of the predicted class
    /// and the runner-up, its early decoder's vote and margin, and where each early-exit calibration would stop it; the
    /// binary classifiers' answers; and, in TorchSharp, the saliency maps of the class's path and of the whole network.
    /// </summary>
    /// <param name="images">images at the model's input shape (<see cref="LoadImages"/>)</param>
    /// <param name="index">which of them is explained</param>
    /// <param name="source">what the image is</param>
    /// <param name="options">the saliency class, classifiers to ask, calibrations (null: the defaults)</param>
    public ImageExplanation Explain(ImageDataset images, int index, InputImage source, ExplanationOptions? options = null)
    {
        ThrowIfDisposed();
        options ??= new ExplanationOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, images.Count);
        if (images.Channels != InputChannels || images.Height != ImageSize || images.Width != ImageSize)
            throw new ArgumentException($"images must be {InputChannels}x{ImageSize}x{ImageSize}, not {images.Channels}x{images.Height}x{images.Width}", nameof(images));
        foreach (var (name, classifier) in options.Classifiers)
            if (!classifier.IsClassifier || classifier.InputChannels != InputChannels || classifier.ImageSize != ImageSize)
                throw new ArgumentException($"{name} is not a binary classifier taking this model's {InputChannels}x{ImageSize}x{ImageSize} input", nameof(options));

        using var scope = NewDisposeScope();
        var one = images.Image(index).ToArray();
        var pixels = tensor(one.Select(b => b / 255f).ToArray(), [1, InputChannels, ImageSize, ImageSize]);
        ImagePrediction prediction;
        var blocks = new List<BlockExplanation>();
        var exits = new List<EarlyExitDecision>();
        using (no_grad())
        {
            var (logits, energies) = Forward(Normalized(pixels).to(Device));
            if (Classifier is null)
            {
                prediction = Classify(source, logits, energies, 0);
                blocks.AddRange(Blocks(energies, prediction));
                exits.AddRange(Exits(blocks, prediction, options.Calibrations ?? StoredCalibrations.Stored(Meta, _source)));
            }
            else prediction = Decide(source, logits[0]);
        }
        var answers = new List<ClassifierAnswer>();
        if (Classifier is not null) answers.Add(new ClassifierAnswer(_source, prediction.Decisions!));
        var oneImage = new ImageDataset(images.Name, one, [0], images.ClassNames, InputChannels, ImageSize, ImageSize);
        foreach (var (name, classifier) in options.Classifiers)
            answers.Add(new ClassifierAnswer(name, classifier.Predict(oneImage, [source], 1)[0].Decisions!));

        int cls = options.SaliencyClass ?? prediction.Prediction?.Class ?? Meta.KeptClasses[0];
        if (cls < 0 || cls >= ClassNames.Count || !Meta.KeptClasses.Contains(cls))
            throw new ArgumentException($"class {cls} is not among the model's output classes", nameof(options));
        SaliencyMaps? saliency = null;
        string? unavailable = null;
        if (_network is null) unavailable = "an ONNX model runs in ONNX Runtime, which computes no input gradients here: no saliency maps";
        else
        {
            var path = InputGradient(pixels, cls, SubNNRemoval.KeepOnlyPathsOf(_network.CodedBlocks, cls));
            var full = Classifier is null ? InputGradient(pixels, cls, null) : null;
            int? camBlock = _network.CodedBlocks.Count == 0 ? null : _network.CodedBlocks[^1].BlockIndex;
            saliency = new SaliencyMaps(cls, ClassNames[cls], InputChannels, ImageSize, ImageSize, path, full)
            {
                GradCam = camBlock is { } b ? GradCam(pixels, cls, b) : null, GradCamBlock = camBlock,
            };
        }
        return new ImageExplanation(source, prediction, blocks, exits, answers, saliency, unavailable, one);
    }

    // Pixels in [0, 1] normalized as in training.
    private Tensor Normalized(Tensor pixels)
    {
        var mean = tensor(Normalization.Mean.ToArray(), [1, InputChannels, 1, 1]);
        var std = tensor(Normalization.Std.ToArray(), [1, InputChannels, 1, 1]);
        return (pixels - mean) / std;
    }

    // d logit(cls) / d pixels, the network run with `removal` (null: whole).
    private float[] InputGradient(Tensor pixels, int cls, SubNNRemoval? removal)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var input = pixels.detach().clone().requires_grad_(true);
        var logits = Network.Forward(Normalized(input).to(Device), removal).Logits;
        int output = Meta.KeptClasses.ToList().IndexOf(cls);
        var gradient = autograd.grad([logits[0, output]], [input])[0];
        return gradient.cpu().contiguous().data<float>().ToArray();
    }

    // Grad-CAM of logit(cls) at the output of block `block`, bilinearly scaled to the input size.
    private float[] GradCam(Tensor pixels, int cls, int block)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var network = Network;
        var activations = network.ForwardBlocks(network.ForwardStem(Normalized(pixels).to(Device)), 0, block + 1);
        var logits = network.ForwardHead(network.ForwardBlocks(activations, block + 1, network.Blocks.Count));
        int output = Meta.KeptClasses.ToList().IndexOf(cls);
        var gradient = autograd.grad([logits[0, output]], [activations])[0];
        var weights = gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu((weights * activations).sum(1, keepdim: true));
        var scaled = nn.functional.interpolate(cam.to_type(ScalarType.Float32), [ImageSize, ImageSize], mode: InterpolationMode.Bilinear, align_corners: false);
        return scaled.detach().cpu().contiguous().data<float>().ToArray();
    }

    private IEnumerable<BlockExplanation> Blocks(IReadOnlyList<Tensor> energies, ImagePrediction prediction)
    {
        var blocks = _network is null
            ? _onnxDecoders
            : _network.CodedBlocks.Select(block => (block.BlockIndex, block.Scheme, block.Codewords)).ToList();
        int predicted = prediction.Prediction!.Class;
        int runnerUp = prediction.Probabilities!.Select((p, k) => (p, k)).Where(x => x.k != predicted).MaxBy(x => x.p).k;
        for (int b = 0; b < blocks.Count; b++)
        {
            var (index, scheme, codewords) = blocks[b];
            var e = energies[b][0..1];
            var distances = EarlyDecoder.Distances(e, scheme, codewords)[0];
            var (nearest, classes) = distances.topk(Math.Min(2, scheme.Classes), largest: false, sorted: true);
            double margin = scheme.Classes < 2 ? double.PositiveInfinity : (nearest[1] - nearest[0]).item<float>();
            var words = scheme.ToStrings();
            var vote = prediction.EarlyDecoders![b];
            yield return new BlockExplanation(index, scheme.Name,
                Doubles(e[0]), Doubles(EarlyDecoder.ScaledEnergies(e, scheme)[0]),
                words[predicted], runnerUp, words[runnerUp], Doubles(distances), vote, margin);
        }
    }

    private static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    // As EarlyExit.Predict decides it: the first coded block with a threshold the margin reaches, whose vote is an output class.
    private IEnumerable<EarlyExitDecision> Exits(IReadOnlyList<BlockExplanation> blocks, ImagePrediction prediction, IReadOnlyList<EarlyExitCalibration> calibrations)
    {
        var cost = ComputeCost.Of(Architecture);
        foreach (var calibration in calibrations)
        {
            if (!calibration.CodedBlockIndices.SequenceEqual(blocks.Select(b => b.BlockIndex)))
                throw new ArgumentException("an early-exit calibration was made for another network's coded blocks");
            var stop = blocks.Select((b, i) => (Block: b, Threshold: calibration.Thresholds[i]))
                .FirstOrDefault(x => x.Threshold is { } t && x.Block.Margin >= t && Meta.KeptClasses.Contains(x.Block.Vote.Class)).Block;
            yield return stop is null
                ? new EarlyExitDecision(null, 1.0) { Target = calibration.Target, Class = prediction.Prediction!.Class, Name = prediction.Prediction.Name }
                : new EarlyExitDecision(stop.BlockIndex, (double)cost.Through(stop.BlockIndex) / cost.Total)
                {
                    Target = calibration.Target, Class = stop.Vote.Class, Name = stop.Vote.Name,
                };
        }
    }
}
