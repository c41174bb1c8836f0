using CodedResNeXt.BinaryClassifiers;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// An extracted classifier file: a model file (<see cref="ModelFile"/>) of kind "binary-classifier" whose
/// metadata has a "classifier" section (thresholds, kept classes, where it came from).
/// </summary>
public static class BinaryClassifierFile
{
    /// <summary>The <see cref="ModelMetadata.Kind"/> of an extracted classifier file (a checkpoint's is <see cref="ModelFiles.Checkpoint.Kind"/>).</summary>
    public const string Kind = "binary-classifier";
    private const string Section = "classifier";

    /// <summary>Writes <paramref name="classifier"/>'s network and metadata, with its classifier section, to a model file at <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, ExtractedClassifier classifier) => ModelFile.Write(path, Metadata(classifier.Info), classifier.Network);

    /// <summary>The metadata a classifier's files carry (.crxb, ONNX): the model's, with its classifier section.</summary>
    public static ModelMetadata Metadata(BinaryClassifierInfo info) =>
        info.Model.WithSection(Section, info.Classifier with { ParameterFraction = info.ParameterFraction });

    /// <summary>Rebuilds the extracted network of a file, in eval mode.</summary>
    public static ExtractedClassifier Load(string path)
    {
        var (network, meta) = ModelFile.Load(path);
        try { return new ExtractedClassifier(network, Info(meta, path)); }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Reads the description of an extracted classifier without building its network.</summary>
    public static BinaryClassifierInfo ReadInfo(string path) => Info(ModelFile.ReadMetadata(path), path);

    /// <summary>The description of a file whose metadata is <paramref name="meta"/>; a checkpoint is an error.</summary>
    public static BinaryClassifierInfo Info(ModelMetadata meta, string path)
    {
        if (meta.Kind != Kind)
            throw InvalidInputException.ForFile(path, $"a training {meta.Kind}, not an extracted classifier (make one with crx extract)");
        return new BinaryClassifierInfo(meta, meta.Section<ClassifierSection>(Section, path));
    }
}
