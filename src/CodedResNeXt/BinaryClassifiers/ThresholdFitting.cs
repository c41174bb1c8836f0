using CodedResNeXt.Runtime;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>How decision thresholds are fitted; `crx extract` and `crx analyze` share these, so they agree.</summary>
internal sealed record ThresholdOptions
{
    /// <summary>Fit on a seeded random subset of this many training images (null: all of them), for speed.</summary>
    public int? ThresholdSamples { get; init; }
    /// <summary>Seed of the subset and of sampled negatives.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Images per batch of the scoring pass (memory against speed).</summary>
    public int BatchSize { get; init; } = 256;
}

/// <summary>
/// The one threshold fit (docs/method.md#what-a-trained-network-gives-you): each kept class's threshold on its logit maximizes F1 on the training set
/// (<see cref="DecisionThreshold.MaximizingF1"/>), positives being the class's training images and negatives the
/// others (for 100 or more classes a random 9 per positive, as the paper samples). Which images, and the batches
/// they are scored in, depend only on the training set, the class and the options, so a class gets the same
/// threshold whether it is fitted alone (`crx extract`) or beside others (`crx analyze`).
/// </summary>
internal static class ThresholdFitting
{
    // Independent random streams, so that changing one sample size does not reshuffle the others.
    private const int SubsetStream = 1, NegativeStream = 3;

    /// <summary>The training images the thresholds are fitted on: all, or a seeded random subset, in dataset order.</summary>
    public static IReadOnlyList<int> Subset(int trainingImages, ThresholdOptions options)
    {
        var all = Enumerable.Range(0, trainingImages).ToList();
        if (options.ThresholdSamples is not { } n) return all;
        return BinaryClassifierSampling.Subset(all, n, new Random(SeedStreams.Mix(options.Seed, SubsetStream, -1)));
    }

    /// <summary>Class <paramref name="cls"/>'s positives and negatives among <paramref name="images"/> (dataset indices of a set labelled by <paramref name="labels"/>).</summary>
    public static (IReadOnlyList<int> Positives, IReadOnlyList<int> Negatives) Samples(int cls, IReadOnlyList<int> images,
        IReadOnlyList<int> labels, int classes, int seed, int stream = NegativeStream)
    {
        var positives = images.Where(i => labels[i] == cls).ToList();
        var others = images.Where(i => labels[i] != cls).ToList();
        var rng = new Random(SeedStreams.Mix(seed, stream, cls));
        return (positives, BinaryClassifierSampling.Negatives(others, positives.Count, BinaryClassifierSampling.Samples(classes), rng));
    }

    /// <summary>
    /// Fits every output of every classifier in one pass over the (subset of the) training set.
    /// </summary>
    /// <param name="network">the full network the classifiers were extracted from</param>
    /// <param name="classifiers">extracted networks (<see cref="PathExtraction.ExtractPathsOf"/>), in eval mode</param>
    /// <param name="trainingSet">the images the network was trained on, with their original labels</param>
    /// <param name="classNames">all K class names</param>
    /// <param name="normalization">the normalization the network was trained with</param>
    /// <param name="options">the subset, seed and batch size of the fit</param>
    /// <param name="progress">images scored so far, after each batch</param>
    /// <param name="cancel">stops the pass between batches</param>
    /// <returns>per classifier, one threshold per kept class in output order</returns>
    public static IReadOnlyList<IReadOnlyList<ClassThreshold>> Fit(CodedResNeXtNetwork network, IReadOnlyList<CodedResNeXtNetwork> classifiers,
        ImageDataset trainingSet, IReadOnlyList<string> classNames, Normalization normalization, ThresholdOptions options,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var subset = Subset(trainingSet.Count, options);
        var labels = trainingSet.Labels;
        int classes = network.Architecture.Classes;
        var samples = classifiers.Select(c => Kept(c).Select(k => Samples(k, subset, labels, classes, options.Seed)).ToList()).ToList();
        for (int c = 0; c < classifiers.Count; c++)
            foreach (var (k, s) in Kept(classifiers[c]).Zip(samples[c]))
                if (s.Positives.Count == 0)
                    throw InvalidInputException.ForOption(nameof(ThresholdOptions.ThresholdSamples), $"the {subset.Count} sampled training images hold no image of class {k} ({classNames[k]}); sample more");

        var images = subset.Count == trainingSet.Count ? trainingSet : trainingSet.Subset(subset);
        // Positions in the subset of each dataset index, to flag the images each classifier needs.
        var position = subset.Select((index, p) => (index, p)).ToDictionary(x => x.index, x => x.p);
        var needed = samples.Select(perClass =>
        {
            var flags = new bool[images.Count];
            foreach (var s in perClass)
                foreach (int i in s.Positives.Concat(s.Negatives)) flags[position[i]] = true;
            return flags;
        }).ToList();
        var scoring = new ClassifierScoring(network, classifiers, needed, images.Count);
        EvaluationPass.Run(network, BatchLoader.ForEvaluation(images, normalization, options.BatchSize), [scoring], progress, cancel);

        return classifiers.Select((c, ci) => (IReadOnlyList<ClassThreshold>)Kept(c).Select((k, j) =>
        {
            var (positives, negatives) = samples[ci][j];
            var scores = positives.Concat(negatives).Select(i => scoring.Scores[ci][j][position[i]]).ToArray();
            var positive = positives.Select(_ => true).Concat(negatives.Select(_ => false)).ToArray();
            var fit = DecisionThreshold.MaximizingF1(scores, positive);
            return new ClassThreshold(k, classNames[k], fit.Threshold, positives.Count, negatives.Count, fit.Precision, fit.Recall, fit.F1);
        }).ToList()).ToList();
    }

    private static IReadOnlyList<int> Kept(CodedResNeXtNetwork classifier) =>
        classifier.Architecture.OutputClasses;
}
