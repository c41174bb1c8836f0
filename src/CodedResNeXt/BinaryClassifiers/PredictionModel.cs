using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using static TorchSharp.torch;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A model file ready to classify images: an extracted classifier (decisions against its stored thresholds) or a
/// full network (the predicted class and every early decoder's). Which one is read from the file's metadata;
/// nothing of training is needed. Owns the network.
/// </summary>
public sealed class PredictionModel : IDisposable
{
    private PredictionModel(CodedResNeXtNetwork network, ModelMetadata meta, BinaryClassifierInfo? classifier)
    {
        Network = network;
        Meta = meta;
        Classifier = classifier;
    }

    /// <summary>The network, in eval mode.</summary>
    public CodedResNeXtNetwork Network { get; }
    public ModelMetadata Meta { get; }
    public Normalization Normalization => Meta.Normalization;
    /// <summary>All K class names.</summary>
    public IReadOnlyList<string> ClassNames => Meta.ClassNames;
    /// <summary>The extracted classifier's description (null for a full network).</summary>
    public BinaryClassifierInfo? Classifier { get; }
    /// <summary>
    /// For a model trained on a folder, the evaluation transform input files get (the standard resize ratio: model
    /// files do not record --resize-size); null: the centre square scaled to the input size.
    /// </summary>
    public FolderGeometry? Folder => Meta.Dataset == "folder" ? FolderGeometry.For(ImageSize) : null;
    public int InputChannels => Network.Architecture.InputChannels;
    public int ImageSize => Network.Architecture.ImageSize;

    public static PredictionModel Load(string path)
    {
        var (network, meta) = ModelFile.Load(path);
        try
        {
            var classifier = meta.Kind == BinaryClassifierFile.Kind ? BinaryClassifierFile.Info(meta, path) : null;
            return new PredictionModel(network, meta, classifier);
        }
        catch
        {
            network.Dispose();
            throw;
        }
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
        using var noGrad = no_grad();
        foreach (var batch in BatchLoader.ForEvaluation(images, Normalization, batchSize).Epoch(0))
        {
            using var scope = NewDisposeScope();
            var (x, _) = batch.ToTensors();
            var output = Network.call(x);
            for (int i = 0; i < batch.Count; i++)
            {
                int index = batch.Indices[i];
                results[index] = Classifier is null ? Classify(sources[index], output, i) : Decide(sources[index], output.Logits[i]);
            }
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

    private ImagePrediction Classify(InputImage source, NetworkOutput output, int i)
    {
        var probabilities = nn.functional.softmax(output.Logits[i], 0);
        int cls = (int)probabilities.argmax().item<long>();
        var prediction = new PredictedClass(cls, ClassNames[cls], probabilities[cls].item<float>());
        var early = Network.CodedBlocks.Select((block, b) =>
        {
            var confidence = EarlyDecoder.Confidence(output.BlockEnergies[b][i..(i + 1)], block)[0];
            int k = (int)confidence.argmax().item<long>();
            return new EarlyDecoderPrediction(block.BlockIndex, k, ClassNames[k], confidence[k].item<float>());
        }).ToList();
        return new ImagePrediction(source, null, prediction, early);
    }

    public void Dispose() => Network.Dispose();
}
