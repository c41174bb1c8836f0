using CodedResNeXt.Runtime;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Training;

namespace CodedResNeXt.Analysis;

/// <summary>
/// Everything docs/method.md#what-a-trained-network-gives-you asks of a trained network, in as few forward passes as the measurements allow:
/// the threshold fit over (a random subset of) the training set (<see cref="ThresholdFitting"/>, the same fit as
/// `crx extract`), one evaluation pass over the validation set feeding every accumulator (final and early
/// predictions, energy profiles, example paths, the specialization test and the binary classifiers' scores,
/// all sharing each image's computation up to where they differ), and one over the out-of-distribution negatives.
/// </summary>
public static class NetworkAnalysis
{
    /// <summary>The <see cref="AnalysisProgress.Pass"/> of the threshold fit over the training images.</summary>
    public const string TrainingPass = "training outputs";
    /// <summary>The <see cref="AnalysisProgress.Pass"/> of the evaluation pass over the validation set.</summary>
    public const string ValidationPass = "validation set";
    /// <summary>The <see cref="AnalysisProgress.Pass"/> over the out-of-distribution negatives (only when there are some).</summary>
    public const string OodPass = "out-of-distribution set";

    // Independent random streams, so that changing one sample size does not reshuffle the others.
    private const int ClassSampleStream = 2, ValidationNegativeStream = 5, OodNegativeStream = 6, ExamplePathStream = 4;

    /// <summary>
    /// Analyzes a model (<see cref="CodedResNeXtModel.Load"/>) on its data (<see cref="CodedResNeXtModel.LoadData"/>):
    /// every binary classifier's threshold, precision and recall, the early decoders, removal curves, energy profiles and
    /// subNN specialization, as the overload below.
    /// </summary>
    /// <param name="model">the trained model; its file's path (if any) is recorded in the results</param>
    /// <param name="data">the model's data</param>
    /// <param name="ood">out-of-distribution negatives (<see cref="OodNegatives.Resolve"/>), or null</param>
    /// <param name="options">what to measure and on how many images; validated first</param>
    /// <param name="progress">images done of each pass</param>
    /// <param name="cancel">stops the analysis between batches with <see cref="OperationCanceledException"/></param>
    public static AnalysisResults Run(CodedResNeXtModel model, TrainingData data, OodNegatives? ood, AnalysisOptions options,
        IProgress<AnalysisProgress>? progress = null, CancellationToken cancel = default) =>
        Run(model.Network, model.Metadata, model.SourcePath ?? "(in memory)", data, ood, options, progress, cancel);

    /// <param name="network">the trained network; its class count and input channels must match the validation set</param>
    /// <param name="meta">the model file's metadata (class names, normalization, dataset)</param>
    /// <param name="checkpoint">the model file's path, recorded in the results</param>
    /// <param name="data">the run's data (<see cref="TrainingData.From"/> with the model's excluded classes)</param>
    /// <param name="ood">out-of-distribution negatives (<see cref="OodNegatives.Resolve"/>), or null</param>
    /// <param name="options">what to measure and on how many images; validated first</param>
    /// <param name="progress">images done of each pass, named by <see cref="TrainingPass"/>, <see cref="ValidationPass"/> and <see cref="OodPass"/></param>
    /// <param name="cancel">stops the analysis between batches with <see cref="OperationCanceledException"/></param>
    public static AnalysisResults Run(CodedResNeXtNetwork network, ModelMetadata meta, string checkpoint, TrainingData data,
        OodNegatives? ood, AnalysisOptions options, IProgress<AnalysisProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        var architecture = network.Architecture;
        int classes = architecture.Classes;
        var validation = data.Validation;
        if (validation.ClassCount != classes)
            throw new InvalidInputException($"{validation.Name} has {validation.ClassCount} classes but the network has {classes}");
        if (validation.Channels != architecture.InputChannels)
            throw new InvalidInputException($"{validation.Name} has {validation.Channels}-channel images but the network takes {architecture.InputChannels}");
        int? block = options.Specialization ? Specialization.ResolveBlock(architecture, options.Block) : null;

        var trained = Enumerable.Range(0, classes).Except(data.ExcludedClasses).ToList();
        var chosen = BinaryClassifierSampling.Classes(classes, trained, options.Classes, Mix(options.Seed, ClassSampleStream));
        var classifiers = chosen.Select(k => network.ExtractPathsOf([k])).ToList();
        try
        {
            foreach (var c in classifiers) c.eval();
            var thresholdOptions = new ThresholdOptions { ThresholdSamples = options.ThresholdSamples, Seed = options.Seed, BatchSize = options.BatchSize };
            int thresholdImages = ThresholdFitting.Subset(data.Train.Count, thresholdOptions).Count;
            var thresholds = ThresholdFitting.Fit(network, classifiers, data.Train, meta.ClassNames, meta.Normalization, thresholdOptions,
                Progress(progress, TrainingPass, thresholdImages), cancel);

            var validationSamples = chosen.Select(k => ThresholdFitting.Samples(k, Enumerable.Range(0, validation.Count).ToList(),
                validation.Labels, classes, options.Seed, ValidationNegativeStream)).ToList();
            var oodSamples = chosen.Select((k, c) => BinaryClassifierSampling.Negatives(Enumerable.Range(0, ood?.Images.Count ?? 0).ToList(),
                validationSamples[c].Positives.Count, BinaryClassifierSampling.Samples(classes), new Random(SeedStreams.Mix(options.Seed, OodNegativeStream, k)))).ToList();

            var early = new EarlyDecodingAccumulator(network.CodedBlocks);
            var classification = new ClassificationAccumulator(classes);
            var energies = new EnergyProfileAccumulator(network.CodedBlocks, classes);
            var paths = new ExamplePathAccumulator(validation,
                ExamplePathAccumulator.Choose(validation.Labels, options.ExamplePaths, new Random(Mix(options.Seed, ExamplePathStream))), energies, early);
            var specialization = block is { } b ? new SpecializationAccumulator(network, b, options.Seed) : null;
            var validationScores = new ClassifierScoring(network, classifiers,
                validationSamples.Select(s => Flags(validation.Count, s.Positives, s.Negatives)).ToList(), validation.Count);
            IEvaluationAccumulator[] measurements = specialization is null
                ? [classification, early, energies, paths, validationScores]
                : [classification, early, energies, paths, validationScores, specialization];
            EvaluationPass.Run(network, BatchLoader.ForEvaluation(validation, meta.Normalization, options.BatchSize), measurements,
                Progress(progress, ValidationPass, validation.Count), cancel);

            ClassifierScoring? oodScores = null;
            if (ood is not null)
            {
                oodScores = new ClassifierScoring(network, classifiers, oodSamples.Select(s => Flags(ood.Images.Count, s)).ToList(), ood.Images.Count);
                EvaluationPass.Run(network, BatchLoader.ForEvaluation(ood.Images, meta.Normalization, options.BatchSize), [oodScores],
                    Progress(progress, OodPass, ood.Images.Count), cancel);
            }

            var binary = chosen.Select((k, c) => BinaryClassifier(network, meta, k, thresholds[c][0], validationSamples[c],
                validationScores.Scores[c][0], oodScores is null ? null : oodSamples[c].Select(i => oodScores.Scores[c][0][i]).ToArray(), options)).ToList();
            var earlyResult = early.Result();
            bool sample = BinaryClassifierSampling.Samples(classes);
            var settings = new AnalysisSettings(options.Seed, validation.Count, thresholdImages, data.Train.Count, ood?.Images.Count ?? 0,
                sample ? BinaryClassifierSampling.NegativesPerPositive : null,
                Notes(classes, chosen.Count, options, thresholdImages, data.Train.Count, sample, ood));
            return new AnalysisResults(checkpoint, architecture.Name, meta.Dataset, meta.ClassNames, ood?.Source, earlyResult,
                specialization?.Result(earlyResult.Top1), binary, energies.Result(), paths.Result(), settings)
            {
                ValidationTop5 = classification.Result().Top5,
                ValidationPerClass = classification.Result().PerClassAccuracy,
            };
        }
        finally
        {
            foreach (var c in classifiers) c.Dispose();
        }
    }

    /// <summary>Class k's threshold (fitted on training outputs) scored on validation and OOD negatives.</summary>
    private static BinaryClassifierResult BinaryClassifier(CodedResNeXtNetwork network, ModelMetadata meta, int cls, ClassThreshold fit,
        (IReadOnlyList<int> Positives, IReadOnlyList<int> Negatives) validation, float[] validationScores, float[]? oodNegatives, AnalysisOptions options)
    {
        var positives = validation.Positives.Select(i => validationScores[i]).ToArray();
        var negatives = validation.Negatives.Select(i => validationScores[i]).ToArray();
        var inDistribution = BinaryScores.At(fit.Threshold, [.. positives, .. negatives], [.. positives.Select(_ => true), .. negatives.Select(_ => false)]);
        var outOfDistribution = oodNegatives is null ? null
            : BinaryScores.At(fit.Threshold, [.. positives, .. oodNegatives], [.. positives.Select(_ => true), .. oodNegatives.Select(_ => false)]);
        var histograms = ScoreHistograms.Shared(options.HistogramBins, positives, negatives, oodNegatives);
        var size = BinaryClassifierSize.Of(network.Architecture, cls, network.Schemes);
        return new BinaryClassifierResult(cls, meta.ClassNames[cls], size.Exact, size.ExactFraction, fit.Threshold, fit.TrainingF1,
            inDistribution, outOfDistribution, histograms[0]!, histograms[1]!, histograms[2]);
    }

    private static bool[] Flags(int count, params IReadOnlyList<int>[] lists)
    {
        var flags = new bool[count];
        foreach (var list in lists)
            foreach (int i in list) flags[i] = true;
        return flags;
    }

    private static IProgress<int>? Progress(IProgress<AnalysisProgress>? progress, string pass, int total)
    {
        if (progress is null) return null;
        progress.Report(new AnalysisProgress(pass, 0, total));
        return new Reporter(done => progress.Report(new AnalysisProgress(pass, done, total)));
    }

    // Reports on the caller's thread (Progress<T> would post to the thread pool, and the CLI renders on its own thread).
    private sealed class Reporter(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    private static List<string> Notes(int classes, int chosen, AnalysisOptions options, int thresholdImages, int trainImages, bool sample, OodNegatives? ood)
    {
        var notes = new List<string>();
        if (thresholdImages < trainImages)
            notes.Add($"Thresholds maximize F1 on the outputs of a random {thresholdImages} of the {trainImages} training images " +
                      "(the threshold-samples option), since every binary classifier runs over each of them.");
        if (options.Classes is not null)
            notes.Add($"Binary classifiers only for the {chosen} classes asked for.");
        else if (sample && chosen < classes)
            notes.Add($"Binary classifiers for a random {chosen} of the {classes} classes.");
        if (sample)
            notes.Add($"Negatives (training, validation and out-of-distribution) are a random {BinaryClassifierSampling.NegativesPerPositive} per positive, " +
                      $"as in the paper for {BinaryClassifierSampling.ManyClasses} or more classes.");
        if (ood is null)
            notes.Add("No out-of-distribution negatives: name an out-of-distribution dataset, or train with classes held out.");
        if (!options.Specialization)
            notes.Add("The specialization test was not run.");
        return notes;
    }

    private static int Mix(int seed, int stream) => SeedStreams.Mix(seed, stream, -1);
}
