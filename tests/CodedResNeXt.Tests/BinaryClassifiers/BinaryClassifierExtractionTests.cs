using CodedResNeXt.ModelFiles;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.BinaryClassifiers;

[Collection(TrainedTinyModelCollection.Name)]
public class BinaryClassifierExtractionTests(TrainedTinyModel model)
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void The_binary_classifier_of_a_trained_network_is_its_logit_with_the_other_subNNs_removed_and_smaller(int cls)
    {
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;
        using var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [cls], model.Data.Train);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = TrainedTinyModel.Normalized(model.Data.Validation, info.Normalization);

        var extracted = binary.Network.call(x).Logits;
        var whole = network.call(x).Logits[.., cls..(cls + 1)];
        var expected = network.Forward(x, SubNNRemoval.KeepOnlyPathsOf(network.CodedBlocks, cls)).Logits[.., cls..(cls + 1)];

        Assert.Equal([100L, 1L], extracted.shape);
        Assert.True(MaxDifference(expected, extracted) < 1e-4, $"max difference {MaxDifference(expected, extracted)}");
        // The removed subNNs do contribute in the full network: the comparison above is not vacuous.
        Assert.True(MaxDifference(whole, extracted) > 1e-3);

        var size = BinaryClassifierSize.Of(info.Architecture, cls, info.Model.SchemeSet);
        Assert.Equal(size.Exact, binary.Network.ParameterCount);
        Assert.Equal(size.Exact, binary.Info.ParameterCount);
        Assert.Equal(network.ParameterCount, binary.Info.FullParameterCount);
        Assert.True(size.Exact < network.ParameterCount);
        Assert.Equal(size.ExactFraction, binary.Info.ParameterFraction, 12);
        Assert.Equal([cls], binary.Info.KeptClasses);
        Assert.Equal([model.Data.ClassNames[cls]], binary.Info.KeptClassNames);
    }

    [Fact]
    public void A_subset_classifier_keeps_the_union_of_the_classes_paths_and_their_rows()
    {
        int[] classes = [7, 2];
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;
        using var subset = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, classes, model.Data.Train);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = TrainedTinyModel.Normalized(model.Data.Validation, info.Normalization);

        // Removed: every subNN of a coded block that is active for none of the classes, read off the codewords.
        var expected = network.Forward(x, new SubNNRemoval(network.CodedBlocks.ToDictionary(b => b.BlockIndex,
            b => tensor(Enumerable.Range(0, b.Scheme.SubNNs).Select(n => !classes.Any(k => b.Scheme.IsActive(k, n))).ToArray())))).Logits.index_select(1, tensor(new long[] { 7, 2 }));
        var extracted = subset.Network.call(x).Logits;

        Assert.Equal([100L, 2L], extracted.shape);
        Assert.True(MaxDifference(expected, extracted) < 1e-4, $"max difference {MaxDifference(expected, extracted)}");
        var schemes = info.Model.SchemeSet;
        long largestSingle = classes.Max(k => BinaryClassifierSize.Of(info.Architecture, k, schemes).Exact);
        Assert.InRange(subset.Network.ParameterCount, largestSingle + 1, network.ParameterCount - 1);

        // One threshold per kept class, in output order, each fitted on its own logit.
        var training = subset.Network.call(TrainedTinyModel.Normalized(model.Data.Train, info.Normalization)).Logits;
        Assert.Equal(classes, subset.Info.Thresholds.Select(t => t.Class));
        for (int j = 0; j < classes.Length; j++)
        {
            var scores = training[.., j].data<float>().ToArray();
            var fit = DecisionThreshold.MaximizingF1(scores, model.Data.Train.Labels.Select(l => l == classes[j]).ToArray());
            Assert.Equal(fit.Threshold, subset.Info.Thresholds[j].Threshold, 1e-4);
            Assert.Equal(fit.F1, subset.Info.Thresholds[j].TrainingF1, 9);
        }
    }

    [Fact]
    public void The_stored_threshold_maximizes_F1_on_training_scores_computed_independently()
    {
        const int cls = 3;
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;
        using var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [cls], model.Data.Train);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        // Scores from the full network with the other paths removed, on images normalized by hand.
        var logits = network.Forward(TrainedTinyModel.Normalized(model.Data.Train, info.Normalization), SubNNRemoval.KeepOnlyPathsOf(network.CodedBlocks, cls)).Logits;
        var scores = logits[.., cls].data<float>().ToArray();
        var positive = model.Data.Train.Labels.Select(l => l == cls).ToArray();
        var fit = DecisionThreshold.MaximizingF1(scores, positive);

        var stored = Assert.Single(binary.Info.Thresholds);
        Assert.Equal(cls, stored.Class);
        Assert.Equal(fit.Threshold, stored.Threshold, 1e-4);
        Assert.Equal(fit.Precision, stored.TrainingPrecision, 9);
        Assert.Equal(fit.Recall, stored.TrainingRecall, 9);
        Assert.Equal(fit.F1, stored.TrainingF1, 9);
        Assert.True(stored.TrainingF1 > 0.5, $"training F1 {stored.TrainingF1}");
        Assert.Equal((20, 180), (stored.Positives, stored.Negatives));
        Assert.Equal(200, binary.Info.Classifier.ThresholdSamples);
    }

    [Fact]
    public void Threshold_samples_fit_on_a_seeded_subset_of_the_training_set()
    {
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;
        var options = new ThresholdOptions { ThresholdSamples = 60, Seed = 5 };
        using var a = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [4], model.Data.Train, options);
        using var b = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [4], model.Data.Train, options);
        using var all = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [4], model.Data.Train);

        Assert.Equal(60, a.Info.Classifier.ThresholdSamples);
        var t = a.Info.Thresholds[0];
        Assert.Equal(60, t.Positives + t.Negatives);
        Assert.InRange(t.Positives, 1, 59);
        Assert.Equal(a.Info.Thresholds, b.Info.Thresholds);
        Assert.Equal(200, all.Info.Thresholds[0].Positives + all.Info.Thresholds[0].Negatives);
    }

    [Fact]
    public void Classes_left_out_of_training_listed_twice_or_absent_from_the_samples_are_clear_errors()
    {
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;

        var excluded = Assert.Throws<InvalidInputException>(() =>
            BinaryClassifierExtraction.Extract(network, info.Model with { ExcludedClasses = [4] }, model.CheckpointPath, [4], model.Data.Train));
        Assert.Equal("Classes: class 4 (Coat) was left out of training, so no training image can fit its threshold", excluded.Message);

        var twice = Assert.Throws<InvalidInputException>(() =>
            BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [2, 6, 2], model.Data.Train));
        Assert.Equal("Classes: class 2 (Pullover) is listed twice", twice.Message);

        // One sampled image holds one class: the other one has no positive to fit on.
        var unsampled = Assert.Throws<InvalidInputException>(() => BinaryClassifierExtraction.Extract(network, info.Model,
            model.CheckpointPath, [0, 1], model.Data.Train, new ThresholdOptions { ThresholdSamples = 1 }));
        Assert.StartsWith("ThresholdSamples: the 1 sampled training images hold no image of class", unsampled.Message);
    }

    internal static double MaxDifference(Tensor expected, Tensor actual) => (expected - actual).abs().max().item<float>();
}
