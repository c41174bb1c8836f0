namespace CodedResNeXt.Experiments;

/// <summary>Mean and sample standard deviation (n - 1 in the denominator; NaN for fewer than two values) of n values.</summary>
public sealed record Spread(int N, double Mean, double StandardDeviation)
{
    /// <summary>Of the finite values among <paramref name="values"/>.</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return new Spread(0, double.NaN, double.NaN);
        double mean = finite.Average();
        double sd = finite.Count < 2 ? double.NaN : Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Count - 1));
        return new Spread(finite.Count, mean, sd);
    }
}

/// <summary>Every figure of the runs of one group and variant, over seeds.</summary>
public sealed record VariantAggregate(
    string Group,
    string Variant,
    IReadOnlyList<int> Seeds,
    string Architecture,
    long Parameters,
    // Classes left out of training (empty when the runs trained on every class): top-1 is then over the others.
    IReadOnlyList<int> HeldOutClasses,
    Spread Top1,
    IReadOnlyList<Spread> PerClassAccuracy,
    IReadOnlyList<int> CodedBlockIndices,
    IReadOnlyList<Spread> EarlyDecoders,
    IReadOnlyList<Spread> ActiveRemoved,
    IReadOnlyList<Spread> InactiveRemoved,
    Spread BinaryPrecision,
    Spread BinaryRecall,
    Spread BinaryOodPrecision,
    Spread BinaryOodRecall,
    Spread BinaryFalsePositiveRate,
    Spread BinaryOodFalsePositiveRate,
    Spread BinaryParameterFraction,
    Spread TrainSeconds,
    Spread ImagesPerSecond,
    Spread TrainTop1);

/// <summary>
/// Coded minus control top-1, seed by seed, within one group (only seeds both variants finished), beside how much each
/// variant over-fits: its last-epoch training accuracy minus its validation top-1 (N 0 for runs recorded before the
/// training accuracy was kept). A regularizer such as dropSubNNs and the coding loss can only pay where the control's gap is positive.
/// </summary>
public sealed record PairedDifference(string Group, IReadOnlyList<int> Seeds, IReadOnlyList<double> Differences, Spread Top1Difference,
    Spread CodedOverfit, Spread ControlOverfit);

/// <summary>What the runs of an experiment add up to; always recomputed from the runs, never read back from the results file.</summary>
/// <param name="Variants">one per group and variant, groups in the order their first run appears, coded before control</param>
/// <param name="Paired">coded minus control top-1 per group, for groups where both variants finished a common seed</param>
public sealed record ExperimentAggregates(IReadOnlyList<VariantAggregate> Variants, IReadOnlyList<PairedDifference> Paired)
{
    /// <summary>Groups in the order their first run appears; within a group coded before control.</summary>
    public static ExperimentAggregates Of(IReadOnlyList<RunFigures> runs)
    {
        var groups = runs.Select(r => r.Group).Distinct().ToList();
        var variants = new List<VariantAggregate>();
        var paired = new List<PairedDifference>();
        foreach (string group in groups)
        {
            foreach (string variant in new[] { ExperimentPlan.CodedVariant, ExperimentPlan.ControlVariant })
            {
                var set = runs.Where(r => r.Group == group && r.Variant == variant).OrderBy(r => r.Seed).ToList();
                if (set.Count > 0) variants.Add(Aggregate(group, variant, set));
            }
            var coded = runs.Where(r => r.Group == group && r.Variant == ExperimentPlan.CodedVariant).ToDictionary(r => r.Seed);
            var control = runs.Where(r => r.Group == group && r.Variant == ExperimentPlan.ControlVariant).ToDictionary(r => r.Seed);
            var seeds = coded.Keys.Intersect(control.Keys).Order().ToList();
            if (seeds.Count == 0) continue;
            var differences = seeds.Select(s => coded[s].Top1 - control[s].Top1).ToList();
            static double Overfit(RunFigures r) => (r.TrainTop1 ?? double.NaN) - r.Top1;
            paired.Add(new PairedDifference(group, seeds, differences, Spread.Of(differences),
                Spread.Of(seeds.Select(s => Overfit(coded[s]))), Spread.Of(seeds.Select(s => Overfit(control[s])))));
        }
        return new ExperimentAggregates(variants, paired);
    }

    private static VariantAggregate Aggregate(string group, string variant, List<RunFigures> set)
    {
        var first = set[0];
        IReadOnlyList<Spread> Elementwise(Func<RunFigures, IReadOnlyList<double>?> list)
        {
            int length = set.Max(r => list(r)?.Count ?? 0);
            return Enumerable.Range(0, length).Select(i => Spread.Of(set.Select(r => list(r) is { } l && i < l.Count ? l[i] : double.NaN))).ToList();
        }
        return new VariantAggregate(group, variant, set.Select(r => r.Seed).ToList(), first.Architecture, first.Parameters, first.HeldOutClasses,
            Spread.Of(set.Select(r => r.Top1)),
            Elementwise(r => r.PerClassAccuracy),
            first.CodedBlockIndices,
            Elementwise(r => r.EarlyDecoders),
            Elementwise(r => r.Removal?.ActiveRemoved),
            Elementwise(r => r.Removal?.InactiveRemoved),
            Spread.Of(set.Select(r => r.MeanPrecision)),
            Spread.Of(set.Select(r => r.MeanRecall)),
            Spread.Of(set.Select(r => r.MeanOodPrecision)),
            Spread.Of(set.Select(r => r.MeanOodRecall)),
            Spread.Of(set.Select(r => r.MeanFalsePositiveRate)),
            Spread.Of(set.Select(r => r.MeanOodFalsePositiveRate)),
            Spread.Of(set.Select(r => r.MeanParameterFraction)),
            Spread.Of(set.Select(r => r.TrainSeconds)),
            Spread.Of(set.Select(r => r.ImagesPerSecond)),
            Spread.Of(set.Select(r => r.TrainTop1 ?? double.NaN)));
    }
}
