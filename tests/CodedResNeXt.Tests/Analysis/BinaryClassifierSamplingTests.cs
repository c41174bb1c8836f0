using CodedResNeXt.Analysis;
using CodedResNeXt.Data;

namespace CodedResNeXt.Tests.Analysis;

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
        Assert.Equal("--classes: class 5 does not exist; classes are 0..4",
            Assert.Throws<InvalidInputException>(() => BinaryClassifierSampling.Classes(5, trained, [5], 1)).Message);
        Assert.Equal("--classes: class 3 was held out of training, so it has no binary classifier",
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
    public void Class_samples_for_100_classes_take_nine_negatives_per_positive_of_other_classes()
    {
        // 100 classes, 3 training and 2 validation images each; 50 OOD images.
        ImageDataset Set(int perClass) => new("many", new byte[100 * perClass], Enumerable.Range(0, 100 * perClass).Select(i => i % 100).ToArray(),
            Enumerable.Range(0, 100).Select(k => $"c{k}").ToArray(), 1, 1, 1);
        var train = Set(3);
        var validation = Set(2);
        var ood = new ImageDataset("ood", new byte[50], new int[50], ["x"], 1, 1, 1);
        var samples = ClassSamples.Draw([7, 42], train, validation, ood, sample: true, new Random(1));

        foreach (var s in samples)
        {
            Assert.Equal(3, s.TrainPositives.Count);
            Assert.All(s.TrainPositives, i => Assert.Equal(s.Class, train.Label(i)));
            Assert.Equal(27, s.TrainNegatives.Count);
            Assert.All(s.TrainNegatives, i => Assert.NotEqual(s.Class, train.Label(i)));
            Assert.Equal(2, s.ValidationPositives.Count);
            Assert.Equal(18, s.ValidationNegatives.Count);
            Assert.All(s.ValidationNegatives, i => Assert.NotEqual(s.Class, validation.Label(i)));
            Assert.Equal(18, s.OodNegatives.Count);
            Assert.Equal(30, s.TrainNeeded.Count(n => n));
            Assert.Equal(20, s.ValidationNeeded.Count(n => n));
            Assert.Equal(18, s.OodNeeded.Count(n => n));
        }
        Assert.NotEqual(samples[0].TrainNegatives, samples[1].TrainNegatives);

        var unsampled = ClassSamples.Draw([7], train, validation, null, sample: false, new Random(1))[0];
        Assert.Equal(297, unsampled.TrainNegatives.Count);
        Assert.Equal(198, unsampled.ValidationNegatives.Count);
        Assert.Empty(unsampled.OodNegatives);
    }
}
