namespace CodedResNeXt.Analysis;

/// <summary>Histograms of several score sets on one set of bins, so they can be drawn over each other (Fig. 3).</summary>
internal static class ScoreHistograms
{
    /// <summary>
    /// <paramref name="bins"/> equal bins spanning the lowest to the highest score of all sets (the highest falls in
    /// the last bin); one histogram per set, null for a null set.
    /// </summary>
    public static Histogram?[] Shared(int bins, params IReadOnlyList<float>?[] sets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var all = sets.Where(s => s is not null).SelectMany(s => s!).Where(float.IsFinite).ToList();
        double min = all.Count == 0 ? 0 : all.Min();
        double max = all.Count == 0 ? 1 : all.Max();
        // Equal scores everywhere still need a bin of some width.
        double width = max > min ? (max - min) / bins : 1;
        return sets.Select(set =>
        {
            if (set is null) return null;
            var counts = new int[bins];
            foreach (float score in set)
                if (float.IsFinite(score)) counts[Math.Clamp((int)((score - min) / width), 0, bins - 1)]++;
            return new Histogram(min, width, counts);
        }).ToArray();
    }
}
