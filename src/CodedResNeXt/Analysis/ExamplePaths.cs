namespace CodedResNeXt.Analysis;

/// <summary>The validation images whose paths through the coded blocks the report shows, one per class.</summary>
public static class ExamplePaths
{
    /// <summary>
    /// Up to <paramref name="count"/> dataset indices, each of a different class (classes drawn at random among those
    /// present, then a random image of each), ordered by class.
    /// </summary>
    public static IReadOnlyList<int> Choose(IReadOnlyList<int> labels, int count, Random rng)
    {
        var byClass = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        rng.Shuffle(byClass);
        return byClass.Take(count).Select(images => images[rng.Next(images.Length)]).OrderBy(i => labels[i]).ToList();
    }
}
