namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// Which classes get a binary classifier and which images score it. With 100 or more classes (docs/method.md#what-a-trained-network-gives-you)
/// the paper samples: 20 classes, and for each a random set of negatives 9 times its positives, both
/// in-distribution and out-of-distribution; with fewer classes every class and every negative is used.
/// </summary>
internal static class BinaryClassifierSampling
{
    /// <summary>From this many classes (K &gt;= 100) on, classes and negatives are sampled.</summary>
    public const int ManyClasses = 100;
    /// <summary>How many classes are analyzed when classes are sampled.</summary>
    public const int SampledClasses = 20;
    /// <summary>Negatives drawn per positive image when negatives are sampled.</summary>
    public const int NegativesPerPositive = 9;

    /// <summary>Whether a network of <paramref name="classes"/> classes gets sampled classes and negatives.</summary>
    public static bool Samples(int classes) => classes >= ManyClasses;

    /// <summary>
    /// The classes to analyze, ascending: the requested ones (each must have been trained), else every trained
    /// class, or for 100+ classes a seeded random 20 of them.
    /// </summary>
    /// <param name="classes">K, the network's classes</param>
    /// <param name="trained">the classes the network was trained on (all but the excluded ones)</param>
    /// <param name="requested">the classes asked for (indices among all K), or null for the default choice</param>
    /// <param name="seed">seeds the random 20 classes when there are 100 or more</param>
    public static IReadOnlyList<int> Classes(int classes, IReadOnlyList<int> trained, IReadOnlyList<int>? requested, int seed)
    {
        if (requested is not null)
        {
            if (requested.Count == 0) throw InvalidInputException.ForOption("Classes", "no class given");
            foreach (int k in requested)
            {
                if (k < 0 || k >= classes) throw InvalidInputException.ForOption("Classes", $"class {k} does not exist; classes are 0..{classes - 1}");
                if (!trained.Contains(k)) throw InvalidInputException.ForOption("Classes", $"class {k} was held out of training, so it has no binary classifier");
            }
            return requested.Distinct().Order().ToList();
        }
        if (!Samples(classes) || trained.Count <= SampledClasses) return trained.Order().ToList();
        return Subset(trained.Order().ToList(), SampledClasses, new Random(seed));
    }

    /// <summary>
    /// The negatives to score against <paramref name="positives"/> positives: all of <paramref name="candidates"/>,
    /// or when <paramref name="sample"/> a random 9 per positive (all when there are fewer), ascending.
    /// </summary>
    public static IReadOnlyList<int> Negatives(IReadOnlyList<int> candidates, int positives, bool sample, Random rng) =>
        sample ? Subset(candidates, NegativesPerPositive * positives, rng) : candidates;

    /// <summary>A uniform random <paramref name="size"/>-element subset of <paramref name="items"/> (all of them when fewer), in their order.</summary>
    public static IReadOnlyList<int> Subset(IReadOnlyList<int> items, int size, Random rng)
    {
        if (size >= items.Count) return items;
        var positions = Enumerable.Range(0, items.Count).ToArray();
        // Partial Fisher-Yates: the first `size` positions are a uniform random choice.
        for (int t = 0; t < size; t++)
        {
            int r = rng.Next(t, positions.Length);
            (positions[t], positions[r]) = (positions[r], positions[t]);
        }
        return positions.Take(size).Order().Select(p => items[p]).ToList();
    }
}
