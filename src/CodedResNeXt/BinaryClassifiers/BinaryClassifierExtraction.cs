using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// Makes the standalone classifier of some classes from a trained network (docs/method.md#what-a-trained-network-gives-you, binary classifier):
/// <see cref="PathExtraction.ExtractPathsOf"/> keeps only their paths and classifier rows, and each kept class gets
/// its decision threshold from <see cref="ThresholdFitting"/> (the fit `crx analyze` uses too).
/// </summary>
internal static class BinaryClassifierExtraction
{
    /// <summary>The option that names the kept classes, for errors.</summary>
    public const string ClassesOption = "Classes";

    /// <summary>What a classifier extracted from a network in memory records as its source checkpoint.</summary>
    public const string InMemorySource = "(a network in memory)";

    /// <summary>
    /// The standalone classifier of <paramref name="classes"/> cut out of <paramref name="network"/>, in eval mode, with one
    /// decision threshold per kept class fitted on <paramref name="trainingSet"/>; the caller owns it. An
    /// <see cref="InvalidInputException"/> about <see cref="ClassesOption"/> when no class is given, or one does not exist,
    /// was excluded from training, or is listed twice.
    /// </summary>
    /// <param name="source">the source model's metadata: class names, normalization, excluded classes</param>
    /// <param name="network">the trained full network (not changed)</param>
    /// <param name="sourcePath">the model file, recorded in the extracted classifier (null: a network in memory)</param>
    /// <param name="classes">the kept classes (indices among all K), in the order of the outputs; one for a binary classifier</param>
    /// <param name="trainingSet">the images the network was trained on, with their original labels</param>
    /// <param name="options">how the decision thresholds are fitted (null: the defaults)</param>
    public static ExtractedClassifier Extract(CodedResNeXtNetwork network, ModelMetadata source, string? sourcePath,
        IReadOnlyList<int> classes, ImageDataset trainingSet, ThresholdOptions? options = null)
    {
        options ??= new ThresholdOptions();
        CheckClasses(classes, source);
        var extracted = network.ExtractPathsOf(classes);
        try
        {
            extracted.eval();
            var thresholds = ThresholdFitting.Fit(network, [extracted], trainingSet, source.ClassNames, source.Normalization, options)[0];
            int samples = ThresholdFitting.Subset(trainingSet.Count, options).Count;
            var meta = ModelMetadata.Of(BinaryClassifierFile.Kind, extracted, source.ClassNames, source.Normalization, source.Dataset, source.ExcludedClasses, source.InputTransform);
            var section = new ClassifierSection(classes.Select(k => source.ClassNames[k]).ToList(), thresholds, samples,
                sourcePath is null ? InMemorySource : Path.GetFullPath(sourcePath), network.ParameterCount);
            return new ExtractedClassifier(extracted, new BinaryClassifierInfo(meta, section));
        }
        catch
        {
            extracted.Dispose();
            throw;
        }
    }

    private static void CheckClasses(IReadOnlyList<int> classes, ModelMetadata source)
    {
        if (classes.Count == 0) throw InvalidInputException.ForOption(ClassesOption, "no class given");
        int k = source.Architecture.Classes;
        foreach (int c in classes)
        {
            if (c < 0 || c >= k) throw InvalidInputException.ForOption(ClassesOption, $"class {c} does not exist; classes are 0..{k - 1}");
            if (source.ExcludedClasses.Contains(c))
                throw InvalidInputException.ForOption(ClassesOption, $"class {c} ({source.ClassNames[c]}) was left out of training, so no training image can fit its threshold");
        }
        var twice = classes.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw InvalidInputException.ForOption(ClassesOption, $"class {twice.Key} ({source.ClassNames[twice.Key]}) is listed twice");
    }
}
