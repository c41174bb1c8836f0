using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>How <see cref="BinaryClassifierExtraction.Extract"/> fits the decision thresholds.</summary>
public sealed record ExtractionOptions
{
    /// <summary>Fit on a seeded random subset of this many training images (null: all of them), for speed.</summary>
    public int? ThresholdSamples { get; init; }
    /// <summary>Seed of the subset.</summary>
    public int Seed { get; init; } = 1;
    public int BatchSize { get; init; } = 256;
    /// <summary>Threads preparing batches (0: all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>
/// Makes the standalone classifier of some classes from a trained network (SPEC section 8, binary classifier):
/// <see cref="PathExtraction.ExtractPathsOf"/> keeps only their paths and classifier rows, and each kept class gets
/// the threshold on its logit that maximizes F1 on the training set (positives: the class's training images;
/// negatives: every other training image; classes left out of training have none).
/// </summary>
public static class BinaryClassifierExtraction
{
    /// <param name="source">the checkpoint's description: class names, normalization, excluded classes, schemes</param>
    /// <param name="sourcePath">the checkpoint file, recorded in the extracted classifier</param>
    /// <param name="classes">the kept classes (indices among all K), in the order of the outputs; one for a binary classifier</param>
    /// <param name="trainingSet">the images the network was trained on, with their original labels</param>
    /// <param name="flag">the flag that named the classes, for errors</param>
    public static ExtractedClassifier Extract(CodedResNeXtNetwork network, CheckpointInfo source, string sourcePath,
        IReadOnlyList<int> classes, ImageDataset trainingSet, ExtractionOptions? options = null, string flag = "--class")
    {
        options ??= new ExtractionOptions();
        CheckClasses(classes, source, flag);
        var samples = ThresholdSet(trainingSet, options);
        var present = samples.CountPerClass();
        foreach (int k in classes)
            if (k >= present.Length || present[k] == 0)
                throw new InvalidInputException($"--threshold-samples: the {samples.Count} sampled training images hold no image of class {k} ({source.ClassNames[k]}); sample more");

        var extracted = network.ExtractPathsOf(classes);
        try
        {
            var logits = Logits(extracted, samples, source.Normalization, options.BatchSize, options.Threads);
            var thresholds = classes.Select((k, j) => FitThreshold(k, source.ClassNames[k], logits[j], samples.Labels)).ToList();
            var info = new BinaryClassifierInfo(BinaryClassifierFile.Kind, BinaryClassifierFile.FormatVersion,
                extracted.Architecture, Checkpoint.SchemesOf(extracted), source.ClassNames,
                classes.Select(k => source.ClassNames[k]).ToList(), source.Normalization, thresholds, samples.Count,
                Path.GetFullPath(sourcePath), source.Dataset, extracted.ParameterCount, network.ParameterCount);
            return new ExtractedClassifier(extracted, info);
        }
        catch
        {
            extracted.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The threshold on class <paramref name="cls"/>'s scores that maximizes F1 (<see cref="DecisionThreshold.MaximizingF1"/>),
    /// with images labelled <paramref name="cls"/> as positives and all others as negatives.
    /// </summary>
    public static ClassThreshold FitThreshold(int cls, string name, IReadOnlyList<float> scores, IReadOnlyList<int> labels)
    {
        var positive = labels.Select(l => l == cls).ToArray();
        var fit = DecisionThreshold.MaximizingF1(scores, positive);
        int positives = positive.Count(p => p);
        return new ClassThreshold(cls, name, fit.Threshold, positives, positive.Length - positives, fit.Precision, fit.Recall, fit.F1);
    }

    /// <summary>
    /// The network's logits on every image of <paramref name="images"/> (eval mode, no gradients), as
    /// scores[output][image] in dataset order.
    /// </summary>
    public static float[][] Logits(CodedResNeXtNetwork network, ImageDataset images, Normalization normalization, int batchSize = 256, int threads = 0)
    {
        int outputs = network.Architecture.Outputs;
        var scores = Enumerable.Range(0, outputs).Select(_ => new float[images.Count]).ToArray();
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in BatchLoader.ForEvaluation(images, normalization, batchSize, threads).Epoch(0))
            {
                using var scope = NewDisposeScope();
                var (x, _) = batch.ToTensors();
                var logits = network.call(x, null).Logits.contiguous().data<float>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                    for (int j = 0; j < outputs; j++)
                        scores[j][batch.Indices[i]] = logits[i * outputs + j];
            }
        }
        finally
        {
            network.train(wasTraining);
        }
        return scores;
    }

    private static void CheckClasses(IReadOnlyList<int> classes, CheckpointInfo source, string flag)
    {
        if (classes.Count == 0) throw new InvalidInputException($"{flag}: no class given");
        int k = source.Architecture.Classes;
        foreach (int c in classes)
        {
            if (c < 0 || c >= k) throw new InvalidInputException($"{flag}: class {c} does not exist; classes are 0..{k - 1}");
            if (source.ExcludedClasses.Contains(c))
                throw new InvalidInputException($"{flag}: class {c} ({source.ClassNames[c]}) was left out of training, so no training image can fit its threshold");
        }
        var twice = classes.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidInputException($"{flag}: class {twice.Key} ({source.ClassNames[twice.Key]}) is listed twice");
    }

    /// <summary>The training images to fit on: all, or a seeded random subset kept in dataset order.</summary>
    private static ImageDataset ThresholdSet(ImageDataset trainingSet, ExtractionOptions options)
    {
        if (options.ThresholdSamples is not { } n || n >= trainingSet.Count) return trainingSet;
        if (n < 1) throw new InvalidInputException($"--threshold-samples: {n} must be at least 1");
        var order = Enumerable.Range(0, trainingSet.Count).ToArray();
        new Random(options.Seed).Shuffle(order);
        return trainingSet.Subset(order.Take(n).Order().ToList());
    }
}
