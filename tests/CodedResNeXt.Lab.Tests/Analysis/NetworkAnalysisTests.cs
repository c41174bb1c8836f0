using CodedResNeXt.ModelFiles;
using CodedResNeXt.Evaluation;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Analysis;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Analysis;

[Collection(TinyRunsCollection.Name)]
public class NetworkAnalysisTests(TinyRuns runs)
{
    private static (AnalysisResults Results, CodedResNeXtNetwork Network, CheckpointInfo Info, TrainingData Data) Analyze(
        string checkpoint, AnalysisOptions? options = null, OodNegatives? ood = null, bool heldOutAsOod = false)
    {
        var (network, info) = Checkpoint.Load(checkpoint);
        var data = TinyRuns.Data(info.ExcludedClasses);
        if (heldOutAsOod) ood = OodNegatives.HeldOut(data);
        var results = NetworkAnalysis.Run(network, info.Model, checkpoint, data, ood, options ?? new AnalysisOptions { BatchSize = 32 });
        return (results, network, info, data);
    }

    [Fact]
    public void Early_decoding_and_the_specialization_baseline_equal_the_evaluation_of_the_network()
    {
        var (results, network, info, data) = Analyze(runs.Coded);
        using var _ = network;
        var evaluation = EvaluationResult.Measure(network, BatchLoader.ForEvaluation(data.Validation, info.Normalization, 64), 10);

        Assert.Equal(evaluation.Classification.Top1, results.EarlyDecoding.Top1, 12);
        Assert.Equal(evaluation.EarlyDecoding.CodedBlockIndices, results.EarlyDecoding.CodedBlockIndices);
        Assert.Equal(evaluation.EarlyDecoding.Accuracy, results.EarlyDecoding.Accuracy);
        Assert.Equal(evaluation.EarlyDecoding.AgreementWithFinal, results.EarlyDecoding.AgreementWithFinal);
        Assert.True(results.EarlyDecoding.Top1 > 0.5, $"the tiny network should have learned something: top-1 {results.EarlyDecoding.Top1}");
        Assert.Equal(evaluation.Classification.Top1, results.Specialization!.Baseline, 12);
    }

    [Fact]
    public void Specialization_removes_one_to_all_active_and_inactive_subNNs_of_the_default_block()
    {
        var (results, network, info, data) = Analyze(runs.Coded);
        using var _ = network;
        var s = results.Specialization!;
        // The tiny architecture: c2 uncoded, c3 = blocks 1 and 2 (5/10), c4 = block 3 (3/10): the last block of c3.
        Assert.Equal(2, s.BlockIndex);
        Assert.Equal("cifar10/5/10", s.Scheme);
        Assert.Equal(5, s.ActiveRemoved.Count);
        Assert.Equal(5, s.InactiveRemoved.Count);
        Assert.All(s.ActiveRemoved.Concat(s.InactiveRemoved), a => Assert.InRange(a, 0, 1));

        // Oracle: the whole forward pass with the same masks, not the analysis' pass from the block's input.
        var (images, labels) = TinyRuns.Tensors(data.Validation, info.Normalization);
        var labelList = data.Validation.Labels;
        var indices = Enumerable.Range(0, data.Validation.Count).ToList();
        var scheme = network.CodedBlocks.Single(b => b.BlockIndex == 2).Scheme;
        foreach (var (active, j, measured) in new[] { (true, 2, s.ActiveRemoved[1]), (false, 3, s.InactiveRemoved[2]), (true, 5, s.ActiveRemoved[4]) })
        {
            using var mask = tensor(Specialization.RemovalMask(labelList, indices, scheme, j, active, seed: 1), [indices.Count, 10]);
            using (no_grad())
            {
                double accuracy = network.Forward(images, SubNNRemoval.InBlock(2, mask)).Logits.argmax(1).eq(labels).to(float64).mean().item<double>();
                Assert.Equal(accuracy, measured, 12);
            }
        }
    }

    [Fact]
    public void Energy_profiles_rows_sum_to_N_act_beside_the_codewords()
    {
        var (results, network, _, _) = Analyze(runs.Coded);
        using var _n = network;
        Assert.Equal([1, 2, 3], results.EnergyProfiles.Select(p => p.BlockIndex));
        foreach (var profile in results.EnergyProfiles)
        {
            var scheme = BuiltInSchemes.Get(profile.Scheme);
            Assert.Equal(scheme.ToStrings(), profile.Codewords);
            Assert.Equal(10, profile.MeanEnergyByClass.Count);
            foreach (var row in profile.MeanEnergyByClass)
            {
                Assert.Equal(10, row.Count);
                Assert.Equal(scheme.Active, row.Sum(), 4);
            }
        }
        // Trained toward the codewords, each class's profile is nearest its own codeword in the last block.
        var last = results.EnergyProfiles[^1];
        var codewords = BuiltInSchemes.Get(last.Scheme);
        int nearestOwn = Enumerable.Range(0, 10).Count(k => Enumerable.Range(0, 10)
            .MinBy(c => Enumerable.Range(0, 10).Sum(n => Math.Pow(last.MeanEnergyByClass[k][n] - (codewords.IsActive(c, n) ? 1 : 0), 2))) == k);
        Assert.True(nearestOwn >= 8, $"{nearestOwn} of 10 class profiles are nearest their codeword");
    }

    [Fact]
    public void Example_paths_are_validation_images_of_different_classes_with_every_coded_block()
    {
        var (results, network, _, data) = Analyze(runs.Coded);
        using var _n = network;
        Assert.Equal(6, results.ExamplePaths.Count);
        Assert.Equal(6, results.ExamplePaths.Select(p => p.Label).Distinct().Count());
        foreach (var path in results.ExamplePaths)
        {
            Assert.Equal(data.Validation.Label(path.Index), path.Label);
            Assert.Equal(data.Validation.Image(path.Index).ToArray(), path.Pixels);
            Assert.Equal((1, 8, 8), (path.Channels, path.Height, path.Width));
            Assert.Equal(3, path.Energies.Count);
            Assert.Equal(3, path.EarlyPredictions.Count);
            Assert.Equal([5.0, 5.0, 3.0], path.Energies.Select(e => Math.Round(e.Sum(), 3)));
        }
        var again = Analyze(runs.Coded);
        using var _a = again.Network;
        Assert.Equal(results.ExamplePaths.Select(p => p.Index), again.Results.ExamplePaths.Select(p => p.Index));
    }

    [Fact]
    public void Thresholds_maximize_F1_on_training_outputs_of_the_extracted_classifier()
    {
        var (results, network, info, data) = Analyze(runs.Coded);
        using var _ = network;
        Assert.Equal(Enumerable.Range(0, 10), results.BinaryClassifiers.Select(b => b.Class));
        var (trainImages, _) = TinyRuns.Tensors(data.Train, info.Normalization);
        var (validationImages, _) = TinyRuns.Tensors(data.Validation, info.Normalization);
        foreach (int k in new[] { 0, 4, 9 })
        {
            var result = results.BinaryClassifiers[k];
            using var extracted = network.ExtractPathsOf([k]);
            extracted.eval();
            float[] Scores(Tensor images)
            {
                using var noGrad = no_grad();
                return extracted.call(images).Logits[.., 0].contiguous().data<float>().ToArray();
            }
            // Every training image is in the threshold subset: the synthetic training set has 200 < 10000.
            var fit = DecisionThreshold.MaximizingF1(Scores(trainImages), data.Train.Labels.Select(l => l == k).ToArray());
            Assert.Equal(fit.Threshold, result.Threshold, 4);
            Assert.Equal(fit.F1, result.TrainF1, 9);

            var validation = BinaryScores.At(result.Threshold, Scores(validationImages), data.Validation.Labels.Select(l => l == k).ToArray());
            Assert.Equal(validation, result.InDistribution with { Threshold = validation.Threshold });
            Assert.Equal(10, result.Positives.Counts.Sum());
            Assert.Equal(90, result.Negatives.Counts.Sum());
            Assert.Equal(result.Positives.Min, result.Negatives.Min);
            Assert.Null(result.OutOfDistribution);
            Assert.Null(result.OodNegatives);

            var size = BinaryClassifierSize.Of(network.Architecture, k, network.Schemes);
            Assert.Equal(extracted.ParameterCount, result.Parameters);
            Assert.Equal((double)size.Exact / network.ParameterCount, result.ParameterFraction, 9);
        }
        Assert.Null(results.OodSource);
        Assert.Contains(results.Settings!.Notes, n => n.Contains("out-of-distribution dataset"));
    }

    [Fact]
    public void Binary_classifiers_score_OOD_negatives_from_another_dataset_with_the_same_threshold()
    {
        var other = Synthetic.Images(30, seed: 5, name: "other");
        var (network, info) = Checkpoint.Load(runs.Coded);
        using var _ = network;
        var data = TinyRuns.Data([]);
        var ood = OodNegatives.FromDataset(other, data.Validation, "other");
        var results = NetworkAnalysis.Run(network, info.Model, runs.Coded, data, ood, new AnalysisOptions { Classes = [3, 7], Specialization = false });

        Assert.Equal("other", results.OodSource);
        Assert.Null(results.Specialization);
        Assert.Equal([3, 7], results.BinaryClassifiers.Select(b => b.Class));
        var (oodImages, _) = TinyRuns.Tensors(other, info.Normalization);
        foreach (var b in results.BinaryClassifiers)
        {
            Assert.Equal(30, b.OodNegatives!.Counts.Sum());
            Assert.Equal(b.Positives.Min, b.OodNegatives.Min);
            using var extracted = network.ExtractPathsOf([b.Class]);
            extracted.eval();
            using var noGrad = no_grad();
            float[] scores = extracted.call(oodImages).Logits[.., 0].contiguous().data<float>().ToArray();
            var ood2 = b.OutOfDistribution!;
            Assert.Equal(b.InDistribution.TruePositives, ood2.TruePositives);
            Assert.Equal(b.InDistribution.FalseNegatives, ood2.FalseNegatives);
            Assert.Equal(scores.Count(s => s >= b.Threshold), ood2.FalsePositives);
        }
    }

    [Fact]
    public void A_run_with_held_out_classes_uses_them_as_OOD_negatives_and_has_no_classifier_for_them()
    {
        var (results, network, _, data) = Analyze(runs.HeldOut, heldOutAsOod: true);
        using var _n = network;
        Assert.Equal("held-out classes 8 (class8), 9 (class9)", results.OodSource);
        Assert.Equal(Enumerable.Range(0, 8), results.BinaryClassifiers.Select(b => b.Class));
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(data.HeldOutValidation.Count, b.OodNegatives!.Counts.Sum()));
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(70, b.Negatives.Counts.Sum()));
        // The confusion counts cover every negative of each kind, so the false-positive rates compare them.
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(70, b.InDistribution.FalsePositives + b.InDistribution.TrueNegatives));
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(data.HeldOutValidation.Count, b.OutOfDistribution!.FalsePositives + b.OutOfDistribution.TrueNegatives));
        Assert.Equal(20, results.Settings!.OodImages);
        // No validation image of classes 8 and 9: their energy profiles are NaN.
        Assert.All(results.EnergyProfiles, p => Assert.True(double.IsNaN(p.MeanEnergyByClass[8][0])));

        var error = Assert.Throws<InvalidInputException>(() => Analyze(runs.HeldOut, new AnalysisOptions { Classes = [2, 9] }));
        Assert.StartsWith("Classes: class 9 was held out", error.Message);
    }

    [Fact]
    public void A_subset_of_training_images_fits_the_thresholds_and_the_results_say_so()
    {
        var (results, network, _, _) = Analyze(runs.Coded, new AnalysisOptions { ThresholdSamples = 50, Specialization = false, ExamplePaths = 0 });
        using var _ = network;
        Assert.Equal(50, results.Settings!.ThresholdImages);
        Assert.Equal(200, results.Settings.TrainingImages);
        Assert.Contains(results.Settings.Notes, n => n.Contains("random 50 of the 200 training images"));
        Assert.Empty(results.ExamplePaths);
        Assert.All(results.BinaryClassifiers, b => Assert.InRange(b.TrainF1, 0, 1));
    }

    [Fact]
    public void Bad_block_and_OOD_shape_are_one_line_errors()
    {
        var outOfRange = Assert.Throws<InvalidInputException>(() => Analyze(runs.Coded, new AnalysisOptions { Block = 4 }));
        Assert.StartsWith("Block: block 4 does not exist", outOfRange.Message);
        var uncoded = Assert.Throws<InvalidInputException>(() => Analyze(runs.Coded, new AnalysisOptions { Block = 0 }));
        Assert.Equal("Block: block 0 (c2) is not coded; coded blocks: 1, 2, 3", uncoded.Message);

        var color = new ImageDataset("colour", new byte[2 * 3 * 8 * 8], [0, 1], ["a", "b"], 3, 8, 8);
        var shape = Assert.Throws<InvalidInputException>(() => OodNegatives.FromDataset(color, Synthetic.Images(10, 1), "cifar10"));
        Assert.Equal("OodDataset: cifar10 has 3x8x8 images but the network takes 1x8x8 (synthetic)", shape.Message);
        Assert.DoesNotContain('\n', shape.Message);

        var data = TinyRuns.Data([]);
        Assert.Equal("OodDataDir: required for mnist",
            Assert.Throws<InvalidInputException>(() => OodNegatives.Resolve("mnist", new DatasetOptions(), data)).Message);
        Assert.StartsWith("OodDataset: unknown dataset 'svhn'",
            Assert.Throws<InvalidInputException>(() => OodNegatives.Resolve("svhn", new DatasetOptions(), data)).Message);
    }

    [Fact]
    public void Results_round_trip_through_results_json_with_NaN()
    {
        var (results, network, _, _) = Analyze(runs.HeldOut, heldOutAsOod: true);
        using var _ = network;
        using var tmp = new TempDirectory();
        string path = results.Save(tmp["report"]);
        Assert.Equal(Path.Combine(tmp["report"], "results.json"), path);
        string text = File.ReadAllText(path);
        Assert.Contains("\"early_decoding\"", text);
        Assert.Contains("\"NaN\"", text);
        var back = AnalysisResults.Load(path);
        Assert.Equal(results.EarlyDecoding.Accuracy, back.EarlyDecoding.Accuracy);
        Assert.Equal(results.BinaryClassifiers.Select(b => b.InDistribution), back.BinaryClassifiers.Select(b => b.InDistribution));
        Assert.True(double.IsNaN(back.EnergyProfiles[0].MeanEnergyByClass[9][3]));
        Assert.Equal(results.ExamplePaths[0].Pixels, back.ExamplePaths[0].Pixels);
        Assert.Equal(results.Settings!.Notes, back.Settings!.Notes);
    }

    [Fact]
    public void The_control_network_has_no_coded_analyses_and_binary_classifiers_that_keep_everything_but_other_rows()
    {
        using var tmp = new TempDirectory();
        var options = TinyRuns.Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 1) with { Control = true };
        var run = new TrainingRun(options, TinyRuns.Data([]), tmp["control"], CodingSchemeSet.BuiltInsAndFiles);
        new Trainer(run).Run(resume: false).Dispose();
        var (results, network, _, _) = Analyze(run.LastCheckpointPath, new AnalysisOptions { Classes = [0, 5] });
        using var _ = network;

        Assert.Null(results.Specialization);
        Assert.Empty(results.EnergyProfiles);
        Assert.Empty(results.EarlyDecoding.Accuracy);
        Assert.All(results.ExamplePaths, p => Assert.Empty(p.Energies));
        // Without coded blocks a binary classifier is the whole network with one row of the classifier (16 features).
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(network.ParameterCount - 9 * 16, b.Parameters));
        var error = Assert.Throws<InvalidInputException>(() => Analyze(run.LastCheckpointPath, new AnalysisOptions { Block = 1 }));
        Assert.Equal("Block: block 1 (c3) is not coded; the network has no coded block", error.Message);
    }
}
