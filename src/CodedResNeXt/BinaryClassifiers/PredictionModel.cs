using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A model file ready to classify images: an extracted classifier (decisions against its stored thresholds) or a
/// training checkpoint (the predicted class and every early decoder's). Which one is read from the file's meta.json.
/// Owns the network.
/// </summary>
public sealed class PredictionModel : IDisposable
{
    private PredictionModel(ModelFileKind kind, CodedResNeXtNetwork network, Normalization normalization,
        IReadOnlyList<string> classNames, BinaryClassifierInfo? classifier, FolderGeometry? folder)
    {
        Folder = folder;
        Kind = kind;
        Network = network;
        Normalization = normalization;
        ClassNames = classNames;
        Classifier = classifier;
    }

    public ModelFileKind Kind { get; }
    /// <summary>The network, in eval mode.</summary>
    public CodedResNeXtNetwork Network { get; }
    public Normalization Normalization { get; }
    /// <summary>All K class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The extracted classifier's description (null for a checkpoint).</summary>
    public BinaryClassifierInfo? Classifier { get; }
    /// <summary>For a model trained on a folder, the evaluation transform input files get; null: centre square only.</summary>
    public FolderGeometry? Folder { get; }
    public int InputChannels => Network.Architecture.InputChannels;
    public int ImageSize => Network.Architecture.ImageSize;

    public static PredictionModel Load(string path, string flag = "--model")
    {
        if (BinaryClassifierFile.Identify(path, flag) == ModelFileKind.BinaryClassifier)
        {
            var extracted = BinaryClassifierFile.Load(path, flag);
            // Extracted classifiers do not record --resize-size; they get the standard ratio.
            var folder = extracted.Info.Dataset == "folder" ? FolderGeometry.For(extracted.Network.Architecture.ImageSize) : null;
            return new PredictionModel(ModelFileKind.BinaryClassifier, extracted.Network, extracted.Info.Normalization,
                extracted.Info.ClassNames, extracted.Info, folder);
        }
        var (network, info) = Checkpoint.Load(path);
        var geometry = info.Dataset == "folder" ? info.Options.Folder ?? FolderGeometry.For(network.Architecture.ImageSize) : null;
        return new PredictionModel(ModelFileKind.Checkpoint, network, info.Normalization, info.ClassNames, null, geometry);
    }

    /// <summary>Decodes the image files (see <see cref="InputImages"/>) and predicts each, in file order.</summary>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<string> files, int batchSize = 256)
    {
        var (images, sources) = InputImages.Load(files, InputChannels, ImageSize, ClassNames, Folder);
        return Predict(images, sources, batchSize);
    }

    /// <summary>Predicts every image of <paramref name="images"/> (raw bytes at the model's input shape), normalized as in training.</summary>
    public IReadOnlyList<ImagePrediction> Predict(ImageDataset images, IReadOnlyList<InputImage> sources, int batchSize = 256)
    {
        var results = new ImagePrediction[images.Count];
        var decoders = Network.CodedBlocks.Select(b => new EarlyDecoder(b.Scheme)).ToList();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in BatchLoader.ForEvaluation(images, Normalization, batchSize).Epoch(0))
            {
                using var scope = NewDisposeScope();
                var (x, _) = batch.ToTensors();
                var output = Network.call(x, null);
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = batch.Indices[i];
                    results[index] = Classifier is null
                        ? Classify(sources[index], output, i, decoders)
                        : Decide(sources[index], output.Logits[i]);
                }
            }
        }
        finally
        {
            foreach (var d in decoders) d.Dispose();
        }
        return results;
    }

    private ImagePrediction Decide(InputImage source, Tensor logits)
    {
        var scores = logits.data<float>().ToArray();
        var decisions = Classifier!.Thresholds.Select((t, j) =>
            new ClassDecision(t.Class, t.Name, scores[j] >= t.Threshold, scores[j], t.Threshold)).ToList();
        return new ImagePrediction(source, decisions, null, null);
    }

    private ImagePrediction Classify(InputImage source, NetworkOutput output, int i, IReadOnlyList<EarlyDecoder> decoders)
    {
        var probabilities = nn.functional.softmax(output.Logits[i], 0);
        int cls = (int)probabilities.argmax().item<long>();
        var prediction = new PredictedClass(cls, ClassNames[cls], probabilities[cls].item<float>());
        var early = decoders.Select((decoder, b) =>
        {
            var confidence = decoder.Confidence(output.BlockEnergies[b][i..(i + 1)])[0];
            int k = (int)confidence.argmax().item<long>();
            return new EarlyDecoderPrediction(output.CodedBlockIndices[b], k, ClassNames[k], confidence[k].item<float>());
        }).ToList();
        return new ImagePrediction(source, null, prediction, early);
    }

    public void Dispose() => Network.Dispose();
}
