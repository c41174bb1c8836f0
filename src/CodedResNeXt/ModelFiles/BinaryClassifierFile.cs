using CodedResNeXt.BinaryClassifiers;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// An extracted classifier file: a model file (<see cref="ModelFile"/>) of kind "binary-classifier" whose
/// metadata has a "classifier" section (thresholds, kept classes, where it came from).
/// </summary>
internal static class BinaryClassifierFile
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
        var section = meta.Section<ClassifierSection>(Section, path);
        // One finite threshold per output, for the output's class, as the fit writes them: any other list would
        // decide with the wrong threshold, none, or NaN.
        var kept = meta.KeptClasses;
        if (section.Thresholds is null || section.Thresholds.Count != kept.Count || section.KeptClassNames is null || section.KeptClassNames.Count != kept.Count)
            throw InvalidInputException.ForFile(path, $"meta.json's classifier section has {section.Thresholds?.Count ?? 0} thresholds and " +
                                                      $"{section.KeptClassNames?.Count ?? 0} class names for the network's {kept.Count} outputs");
        for (int j = 0; j < kept.Count; j++)
        {
            var t = section.Thresholds[j];
            if (t is null || t.Class != kept[j])
                throw InvalidInputException.ForFile(path, $"meta.json's threshold {j} is for class {t?.Class.ToString() ?? "none"}, but output {j} is class {kept[j]}");
            if (!double.IsFinite(t.Threshold))
                throw InvalidInputException.ForFile(path, $"meta.json's threshold of class {t.Class} is {t.Threshold}, which no fit gives");
        }
        return new BinaryClassifierInfo(meta, section);
    }
}
