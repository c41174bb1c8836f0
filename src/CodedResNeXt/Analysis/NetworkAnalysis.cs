using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Analysis;

/// <summary>
/// Everything SPEC section 8 asks of a trained network, in as few forward passes as the measurements allow:
/// one over a random subset of the training set (the binary classifiers' outputs that fit their thresholds),
/// one over the validation set (final and early predictions, energy profiles, example paths, the specialization
/// test and the binary classifiers' scores, all sharing each image's computation up to where they differ), and
/// one over the out-of-distribution negatives.
/// </summary>
public static class NetworkAnalysis
{
    public const string TrainingPass = "training outputs";
    public const string ValidationPass = "validation set";
    public const string OodPass = "out-of-distribution set";

    // Independent random streams, so that changing one sample size does not reshuffle the others.
    private const int ThresholdSubsetStream = 1, ClassSampleStream = 2, NegativeSampleStream = 3, ExamplePathStream = 4;

    /// <param name="checkpoint">the checkpoint's path, recorded in the results</param>
    /// <param name="data">the run's data (<see cref="TrainingData.From"/> with the checkpoint's excluded classes)</param>
    /// <param name="ood">out-of-distribution negatives (<see cref="OodNegatives.Resolve"/>), or null</param>
    public static AnalysisResults Run(CodedResNeXtNetwork network, CheckpointInfo info, string checkpoint, TrainingData data,
        OodNegatives? ood, AnalysisOptions options, IProgress<AnalysisProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        var architecture = network.Architecture;
        int classes = architecture.Classes;
        var validation = data.Validation;
        if (validation.ClassCount != classes)
            throw new InvalidInputException($"--data-dir: {validation.Name} has {validation.ClassCount} classes but the checkpoint's network has {classes}");
        if (validation.Channels != architecture.InputChannels)
            throw new InvalidInputException($"--data-dir: {validation.Name} has {validation.Channels}-channel images but the network takes {architecture.InputChannels}");
        int? block = options.Specialization ? Specialization.ResolveBlock(architecture, options.Block) : null;

        bool wasTraining = network.training;
        network.eval();
        using var noGrad = no_grad();
        try
        {
            var trained = Enumerable.Range(0, classes).Except(data.ExcludedClasses).ToList();
            var chosen = BinaryClassifierSampling.Classes(classes, trained, options.Classes, Mix(options.Seed, ClassSampleStream));
            bool sample = BinaryClassifierSampling.Samples(classes);
            var thresholdSubset = BinaryClassifierSampling.Subset(Enumerable.Range(0, data.Train.Count).ToList(), options.ThresholdSamples,
                new Random(Mix(options.Seed, ThresholdSubsetStream)));
            var train = thresholdSubset.Count == data.Train.Count ? data.Train : data.Train.Subset(thresholdSubset);
            var samples = ClassSamples.Draw(chosen, train, validation, ood?.Images, sample, new Random(Mix(options.Seed, NegativeSampleStream)));

            using var bank = new BinaryClassifierBank(network, chosen);
            var forward = new PartialForward(network);
            var normalization = info.Normalization;

            var trainScores = samples.Select(_ => new float[train.Count]).ToList();
            Pass(train, normalization, options, TrainingPass, progress, cancel, (batch, images, _) =>
                bank.Score(forward.Blocks(forward.Stem(images), 0, bank.SharedBlocks), batch.Indices, samples.Select(s => s.TrainNeeded).ToList(), trainScores));

            var validationScores = samples.Select(_ => new float[validation.Count]).ToList();
            var measured = MeasureValidation(network, forward, bank, validation, normalization, block, options, samples, validationScores, progress, cancel);

            var oodScores = samples.Select(_ => new float[ood?.Images.Count ?? 0]).ToList();
            if (ood is not null)
                Pass(ood.Images, normalization, options, OodPass, progress, cancel, (batch, images, _) =>
                    bank.Score(forward.Blocks(forward.Stem(images), 0, bank.SharedBlocks), batch.Indices, samples.Select(s => s.OodNeeded).ToList(), oodScores));

            var binary = samples.Select((s, c) => BinaryClassifier(network, info, s, trainScores[c], validationScores[c], ood is null ? null : oodScores[c], options))
                .ToList();
            var settings = new AnalysisSettings(options.Seed, validation.Count, train.Count, data.Train.Count, ood?.Images.Count ?? 0,
                sample ? BinaryClassifierSampling.NegativesPerPositive : null,
                Notes(classes, chosen.Count, options, train.Count, data.Train.Count, sample, ood));
            return new AnalysisResults(checkpoint, architecture.Name, info.Dataset, info.ClassNames, ood?.Source, measured.EarlyDecoding,
                measured.Specialization, binary, measured.EnergyProfiles, measured.ExamplePaths, settings);
        }
        finally { network.train(wasTraining); }
    }

    private sealed record ValidationMeasurements(
        EarlyDecodingResult EarlyDecoding,
        SpecializationResult? Specialization,
        IReadOnlyList<BlockEnergyProfile> EnergyProfiles,
        IReadOnlyList<ImagePath> ExamplePaths);

    /// <summary>
    /// The validation pass. Per batch: the blocks before the first coded block once (shared with the binary
    /// classifiers), then the network up to the specialization block once (shared by every removal), then the rest.
    /// </summary>
    private static ValidationMeasurements MeasureValidation(CodedResNeXtNetwork network, PartialForward forward, BinaryClassifierBank bank,
        ImageDataset validation, Normalization normalization, int? block, AnalysisOptions options, IReadOnlyList<ClassSamples> samples,
        IReadOnlyList<float[]> scores, IProgress<AnalysisProgress>? progress, CancellationToken cancel)
    {
        var coded = network.CodedBlocks;
        int classes = network.Architecture.Classes;
        var decoders = coded.Select(b => new EarlyDecoder(b.Scheme)).ToList();
        var earlyCorrect = new long[coded.Count];
        var earlyAgree = new long[coded.Count];
        var energySums = coded.Select(b => new double[classes, b.Scheme.SubNNs]).ToList();
        var classCounts = new long[classes];
        long correct = 0;
        var tested = block is { } s ? coded.Single(b => b.BlockIndex == s).Scheme : null;
        var activeCorrect = new long[tested?.Active ?? 0];
        var inactiveCorrect = new long[tested is null ? 0 : tested.SubNNs - tested.Active];
        var pathIndices = ExamplePaths.Choose(validation.Labels, options.ExamplePaths, new Random(Mix(options.Seed, ExamplePathStream))).ToHashSet();
        var paths = new Dictionary<int, ImagePath>();
        var needed = samples.Select(x => x.ValidationNeeded).ToList();

        try
        {
            Pass(validation, normalization, options, ValidationPass, progress, cancel, (batch, images, labels) =>
            {
                var labelList = batch.Labels.ToArray().Select(l => (int)l).ToArray();
                var shared = forward.Blocks(forward.Stem(images), 0, bank.SharedBlocks);
                bank.Score(shared, batch.Indices, needed, scores);

                var energies = new List<Tensor>();
                int split = block ?? forward.BlockCount;
                var beforeSplit = forward.Blocks(shared, bank.SharedBlocks, split, null, energies);
                if (tested is not null)
                    Specialization.Tally(forward, beforeSplit, split, tested, labels, labelList, batch.Indices, options.Seed, activeCorrect, inactiveCorrect);
                var predicted = forward.Logits(forward.Blocks(beforeSplit, split, forward.BlockCount, null, energies)).argmax(1);
                long[] final = predicted.data<long>().ToArray();
                for (int i = 0; i < final.Length; i++)
                {
                    if (final[i] == labelList[i]) correct++;
                    classCounts[labelList[i]]++;
                }

                var early = new long[coded.Count][];
                var scaled = new float[coded.Count][];
                for (int b = 0; b < coded.Count; b++)
                {
                    var scheme = coded[b].Scheme;
                    early[b] = decoders[b].Predict(energies[b]).data<long>().ToArray();
                    // Energies sum to N; scaled by N_act / N they sum to N_act, like a codeword (Eq. 7).
                    scaled[b] = (energies[b].to(ScalarType.Float32) * ((double)scheme.Active / scheme.SubNNs)).data<float>().ToArray();
                    int n = scheme.SubNNs;
                    for (int i = 0; i < final.Length; i++)
                    {
                        if (early[b][i] == labelList[i]) earlyCorrect[b]++;
                        if (early[b][i] == final[i]) earlyAgree[b]++;
                        for (int j = 0; j < n; j++) energySums[b][labelList[i], j] += scaled[b][i * n + j];
                    }
                }

                for (int i = 0; i < final.Length; i++)
                {
                    int index = batch.Indices[i];
                    if (!pathIndices.Contains(index)) continue;
                    paths[index] = new ImagePath(index, labelList[i], (int)final[i], validation.Channels, validation.Height, validation.Width,
                        validation.Image(index).ToArray(),
                        coded.Select((c, b) => (IReadOnlyList<double>)scaled[b].Skip(i * c.Scheme.SubNNs).Take(c.Scheme.SubNNs).Select(v => (double)v).ToList()).ToList(),
                        early.Select(e => (int)e[i]).ToList());
                }
            });
        }
        finally
        {
            foreach (var d in decoders) d.Dispose();
        }

        int count = validation.Count;
        double Fraction(long k) => count == 0 ? double.NaN : (double)k / count;
        double top1 = Fraction(correct);
        var indices = coded.Select(b => b.BlockIndex).ToList();
        var earlyDecoding = new EarlyDecodingResult(top1, indices, earlyCorrect.Select(Fraction).ToList(), earlyAgree.Select(Fraction).ToList());
        var specialization = tested is null ? null
            : new SpecializationResult(block!.Value, tested.Name, top1, activeCorrect.Select(Fraction).ToList(), inactiveCorrect.Select(Fraction).ToList());
        var profiles = coded.Select((b, c) => new BlockEnergyProfile(b.BlockIndex, b.Scheme.Name, b.Scheme.ToStrings(),
            Enumerable.Range(0, classes).Select(k => (IReadOnlyList<double>)Enumerable.Range(0, b.Scheme.SubNNs)
                .Select(n => classCounts[k] == 0 ? double.NaN : energySums[c][k, n] / classCounts[k]).ToList()).ToList())).ToList();
        return new ValidationMeasurements(earlyDecoding, specialization, profiles, paths.Values.OrderBy(p => p.Label).ToList());
    }

    /// <summary>Fits class k's threshold on its training outputs and scores it on validation and OOD negatives.</summary>
    private static BinaryClassifierResult BinaryClassifier(CodedResNeXtNetwork network, CheckpointInfo info, ClassSamples s,
        float[] trainScores, float[] validationScores, float[]? oodScores, AnalysisOptions options)
    {
        static (float[] Scores, bool[] Positive) Labelled(float[] scores, IReadOnlyList<int> positives, IReadOnlyList<int> negatives) =>
            (positives.Concat(negatives).Select(i => scores[i]).ToArray(),
             positives.Select(_ => true).Concat(negatives.Select(_ => false)).ToArray());

        var (fitScores, fitLabels) = Labelled(trainScores, s.TrainPositives, s.TrainNegatives);
        var fit = DecisionThreshold.MaximizingF1(fitScores, fitLabels);
        var (inScores, inLabels) = Labelled(validationScores, s.ValidationPositives, s.ValidationNegatives);
        var inDistribution = BinaryScores.At(fit.Threshold, inScores, inLabels);
        BinaryScores? outOfDistribution = null;
        float[]? oodNegatives = null;
        if (oodScores is not null)
        {
            oodNegatives = s.OodNegatives.Select(i => oodScores[i]).ToArray();
            var positives = s.ValidationPositives.Select(i => validationScores[i]).ToArray();
            outOfDistribution = BinaryScores.At(fit.Threshold, [.. positives, .. oodNegatives],
                [.. positives.Select(_ => true), .. oodNegatives.Select(_ => false)]);
        }
        var histograms = ScoreHistograms.Shared(options.HistogramBins,
            s.ValidationPositives.Select(i => validationScores[i]).ToArray(),
            s.ValidationNegatives.Select(i => validationScores[i]).ToArray(),
            oodNegatives);
        var size = BinaryClassifierSize.Of(network.Architecture, s.Class, network.Schemes);
        return new BinaryClassifierResult(s.Class, info.ClassNames[s.Class], size.Exact, size.ExactFraction, fit.Threshold, fit.F1,
            inDistribution, outOfDistribution, histograms[0]!, histograms[1]!, histograms[2]);
    }

    private static List<string> Notes(int classes, int chosen, AnalysisOptions options, int thresholdImages, int trainImages, bool sample, OodNegatives? ood)
    {
        var notes = new List<string>();
        if (thresholdImages < trainImages)
            notes.Add($"Thresholds maximize F1 on the outputs of a random {thresholdImages} of the {trainImages} training images " +
                      "(--threshold-samples), since every binary classifier runs over each of them.");
        if (options.Classes is not null)
            notes.Add($"Binary classifiers only for the {chosen} classes asked for (--classes).");
        else if (sample && chosen < classes)
            notes.Add($"Binary classifiers for a random {chosen} of the {classes} classes.");
        if (sample)
            notes.Add($"Negatives (training, validation and out-of-distribution) are a random {BinaryClassifierSampling.NegativesPerPositive} per positive, " +
                      $"as in the paper for {BinaryClassifierSampling.ManyClasses} or more classes.");
        if (ood is null)
            notes.Add("No out-of-distribution negatives: pass --ood-dataset, or train with --exclude-classes.");
        if (!options.Specialization)
            notes.Add("The specialization test was not run.");
        return notes;
    }

    /// <summary>One pass over <paramref name="dataset"/> in order, a dispose scope per batch.</summary>
    private static void Pass(ImageDataset dataset, Normalization normalization, AnalysisOptions options, string name,
        IProgress<AnalysisProgress>? progress, CancellationToken cancel, Action<Batch, Tensor, Tensor> step)
    {
        var loader = BatchLoader.ForEvaluation(dataset, normalization, options.BatchSize);
        int done = 0;
        progress?.Report(new AnalysisProgress(name, 0, dataset.Count));
        foreach (var batch in loader.Epoch(0, cancel))
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (images, labels) = batch.ToTensors();
            step(batch, images, labels);
            done += batch.Count;
            progress?.Report(new AnalysisProgress(name, done, dataset.Count));
        }
    }

    private static int Mix(int seed, int stream) => BatchLoader.MixSeed(seed, stream, -1);
}
