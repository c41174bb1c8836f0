using CodedResNeXt.BinaryClassifiers;

namespace CodedResNeXt.Tests.BinaryClassifiers;

public class DecisionThresholdTests
{
    [Fact]
    public void Separable_scores_get_a_threshold_between_the_classes_and_F1_of_one()
    {
        float[] scores = [0.1f, 0.4f, 0.35f, 2f, 3f, 1.5f];
        bool[] positive = [false, false, false, true, true, true];
        var best = DecisionThreshold.MaximizingF1(scores, positive);
        Assert.Equal((0.4 + 1.5) / 2, best.Threshold, 6);
        Assert.Equal(1.0, best.F1);
        Assert.Equal((3, 0, 0), (best.TruePositives, best.FalsePositives, best.FalseNegatives));
    }

    [Fact]
    public void Overlapping_scores_pick_the_cut_with_the_best_F1_computed_by_hand()
    {
        // Sorted high to low: 5+ 4- 3+ 2+ 1- 0-. Cuts: after 5 -> tp1 fp0 fn2, F1 = 2/(2+0+2) = 0.5;
        // after 4 -> tp1 fp1 fn2, 2/5 = 0.4; after 3 -> tp2 fp1 fn1, 4/6 = 0.667; after 2 -> tp3 fp1 fn0, 6/7 = 0.857;
        // after 1 -> tp3 fp2, 6/8 = 0.75; after 0 -> 6/9 = 0.667. Best: between 2 and 1, threshold 1.5.
        float[] scores = [0f, 1f, 2f, 3f, 4f, 5f];
        bool[] positive = [false, false, true, true, false, true];
        var best = DecisionThreshold.MaximizingF1(scores, positive);
        Assert.Equal(1.5, best.Threshold, 6);
        Assert.Equal(6.0 / 7, best.F1, 9);
        Assert.Equal(0.75, best.Precision, 9);
        Assert.Equal(1.0, best.Recall, 9);
        Assert.Equal(2, best.TrueNegatives); // 0 and 1 rejected, 4 accepted
        Assert.Equal(1.0 / 3, best.FalsePositiveRate, 9);
    }

    [Fact]
    public void Tied_scores_are_never_split_by_the_threshold()
    {
        float[] scores = [1f, 1f, 1f, 0f];
        bool[] positive = [true, false, true, false];
        var best = DecisionThreshold.MaximizingF1(scores, positive);
        Assert.Equal(0.5, best.Threshold, 6); // accepting all three 1s: tp2 fp1, F1 = 4/5
        Assert.Equal(0.8, best.F1, 9);
    }

    [Fact]
    public void Scores_at_a_threshold_count_by_hand()
    {
        var s = BinaryScores.At(1.0, [0.5f, 1.0f, 2f, 3f], [true, false, true, false]);
        Assert.Equal((1, 2, 1, 0), (s.TruePositives, s.FalsePositives, s.FalseNegatives, s.TrueNegatives));
        Assert.Equal(1.0 / 3, s.Precision, 9);
        Assert.Equal(0.5, s.Recall, 9);
        Assert.Equal(1.0, s.FalsePositiveRate, 9); // both negatives accepted

        var lower = BinaryScores.At(2.5, [0.5f, 1.0f, 2f, 3f, 0f], [true, false, true, false, false]);
        Assert.Equal((0, 1, 2, 2), (lower.TruePositives, lower.FalsePositives, lower.FalseNegatives, lower.TrueNegatives));
        Assert.Equal(1.0 / 3, lower.FalsePositiveRate, 9);
    }
}
