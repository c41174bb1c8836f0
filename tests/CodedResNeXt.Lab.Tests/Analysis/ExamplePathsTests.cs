using CodedResNeXt.Analysis;

namespace CodedResNeXt.Lab.Tests.Analysis;

public class ExamplePathsTests
{
    [Fact]
    public void Chosen_images_are_of_different_classes_ordered_by_class_and_fixed_by_the_seed()
    {
        int[] labels = Enumerable.Range(0, 300).Select(i => (i * 7) % 10).ToArray();
        var chosen = ExamplePathAccumulator.Choose(labels, 6, new Random(3));
        Assert.Equal(6, chosen.Count);
        Assert.Equal(6, chosen.Select(i => labels[i]).Distinct().Count());
        Assert.Equal(chosen.Select(i => labels[i]).Order(), chosen.Select(i => labels[i]));
        Assert.Equal(chosen, ExamplePathAccumulator.Choose(labels, 6, new Random(3)));

        // Fewer classes than asked: one image per class.
        Assert.Equal(2, ExamplePathAccumulator.Choose([1, 1, 0, 1], 6, new Random(1)).Count);
        Assert.Empty(ExamplePathAccumulator.Choose(labels, 0, new Random(1)));
    }
}
