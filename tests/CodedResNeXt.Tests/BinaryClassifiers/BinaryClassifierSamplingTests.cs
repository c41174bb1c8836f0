using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;

namespace CodedResNeXt.Tests.BinaryClassifiers;

public class BinaryClassifierSamplingTests
{
    [Fact]
    public void Fewer_than_100_classes_get_every_trained_class()
    {
        var all = Enumerable.Range(0, 10).ToList();
        Assert.Equal(all, BinaryClassifierSampling.Classes(10, all, null, seed: 1));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], BinaryClassifierSampling.Classes(10, [7, 6, 5, 4, 3, 2, 1, 0], null, seed: 1));
        var big = Enumerable.Range(0, 99).ToList();
        Assert.Equal(big, BinaryClassifierSampling.Classes(99, big, null, seed: 1));
    }

    [Fact]
    public void A_hundred_or_more_classes_get_20_distinct_sampled_classes_fixed_by_the_seed()
    {
        var trained = Enumerable.Range(0, 100).ToList();
        var chosen = BinaryClassifierSampling.Classes(100, trained, null, seed: 4);
        Assert.Equal(20, chosen.Count);
        Assert.Equal(20, chosen.Distinct().Count());
        Assert.Equal(chosen.Order(), chosen);
        Assert.All(chosen, k => Assert.InRange(k, 0, 99));
        Assert.Equal(chosen, BinaryClassifierSampling.Classes(100, trained, null, seed: 4));
        Assert.NotEqual(chosen, BinaryClassifierSampling.Classes(100, trained, null, seed: 5));
        // Only trained classes are sampled.
        var someHeldOut = Enumerable.Range(0, 1000).Where(k => k % 3 != 0).ToList();
        Assert.All(BinaryClassifierSampling.Classes(1000, someHeldOut, null, seed: 1), k => Assert.NotEqual(0, k % 3));
    }

    [Fact]
    public void Requested_classes_are_checked()
    {
        var trained = new[] { 0, 1, 2, 4 };
        Assert.Equal([1, 4], BinaryClassifierSampling.Classes(5, trained, [4, 1, 4], seed: 1));
        Assert.Equal("Classes: class 5 does not exist; classes are 0..4",
            Assert.Throws<InvalidInputException>(() => BinaryClassifierSampling.Classes(5, trained, [5], 1)).Message);
        Assert.Equal("Classes: class 3 was held out of training, so it has no binary classifier",
            Assert.Throws<InvalidInputException>(() => BinaryClassifierSampling.Classes(5, trained, [3], 1)).Message);
    }

    [Fact]
    public void Sampled_negatives_are_nine_per_positive_drawn_without_repetition()
    {
        var candidates = Enumerable.Range(1000, 500).ToList();
        var negatives = BinaryClassifierSampling.Negatives(candidates, 7, sample: true, new Random(2));
        Assert.Equal(63, negatives.Count);
        Assert.Equal(63, negatives.Distinct().Count());
        Assert.Equal(negatives.Order(), negatives);
        Assert.All(negatives, n => Assert.Contains(n, candidates));
        Assert.Equal(candidates, BinaryClassifierSampling.Negatives(candidates, 7, sample: false, new Random(2)));
        // Fewer candidates than 9 per positive: all of them.
        Assert.Equal(candidates, BinaryClassifierSampling.Negatives(candidates, 100, sample: true, new Random(2)));
    }

    [Fact]
    public void Samples_for_100_classes_take_nine_negatives_per_positive_of_other_classes_seeded_per_class()
    {
        // 100 classes, 3 images each.
        int[] labels = Enumerable.Range(0, 300).Select(i => i % 100).ToArray();
        var all = Enumerable.Range(0, 300).ToList();
        foreach (int k in new[] { 7, 42 })
        {
            var (positives, negatives) = ThresholdFitting.Samples(k, all, labels, 100, seed: 1);
            Assert.Equal(3, positives.Count);
            Assert.All(positives, i => Assert.Equal(k, labels[i]));
            Assert.Equal(27, negatives.Count);
            Assert.All(negatives, i => Assert.NotEqual(k, labels[i]));
            // A class's draw depends on the class and the seed only, not on which classes are drawn beside it.
            Assert.Equal(negatives, ThresholdFitting.Samples(k, all, labels, 100, seed: 1).Negatives);
        }
        Assert.NotEqual(ThresholdFitting.Samples(7, all, labels, 100, 1).Negatives, ThresholdFitting.Samples(42, all, labels, 100, 1).Negatives);
        Assert.NotEqual(ThresholdFitting.Samples(7, all, labels, 100, 1).Negatives, ThresholdFitting.Samples(7, all, labels, 100, 2).Negatives);

        // Fewer than 100 classes: every other image is a negative.
        int[] ten = Enumerable.Range(0, 30).Select(i => i % 10).ToArray();
        Assert.Equal(27, ThresholdFitting.Samples(3, Enumerable.Range(0, 30).ToList(), ten, 10, 1).Negatives.Count);
    }
}
