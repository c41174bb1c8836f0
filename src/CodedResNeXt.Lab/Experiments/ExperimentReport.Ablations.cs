using System.Globalization;
using System.Text;
using CodedResNeXt.Report;
using ScottPlot;

namespace CodedResNeXt.Experiments;

// The report's ablations: one table and figure per ablation against its flag's value, each of the paper's claims about
// it judged from the runs, and the value to start from.
public static partial class ExperimentReport
{
    /// <summary>
    /// One verdict per claim of each ablation, judged from the coded runs: a difference between two of the flag's values
    /// counts when it is larger than the seeds' spread of a difference of two means (the pooled sample deviation of the
    /// ablation's values times √(1/n₁ + 1/n₂)).
    /// </summary>
    public static IEnumerable<Verdict> AblationVerdicts(ExperimentPlan plan, ExperimentResults results)
    {
        foreach (var ablation in plan.Ablations ?? [])
        {
            var rows = AblationRows(plan, results, ablation);
            foreach (var claim in ablation.Claims ?? [])
            {
                string head = $"{claim.Text} ({ablation.Name}, `{ablation.Flag}`)";
                if (claim.Figure == AblationClaim.EarlyDecoders)
                {
                    int decoders = rows.Max(r => r.Aggregate?.EarlyDecoders.Count ?? 0);
                    var each = Enumerable.Range(0, decoders)
                        .Select(i => JudgeTrend(rows, v => i < v.EarlyDecoders.Count ? v.EarlyDecoders[i] : null, claim.Shape, Pct))
                        .ToList();
                    if (each.Count == 0) { yield return new Verdict(head, Outcome.NotJudgedYet, "no run with early decoders recorded", ""); continue; }
                    var overall = each.All(e => e.Outcome == Outcome.NotJudgedYet) ? Outcome.NotJudgedYet
                        : each.All(e => e.Outcome == Outcome.Holds) ? Outcome.Holds
                        : each.Any(e => e.Outcome == Outcome.DoesNotHold) ? Outcome.DoesNotHold
                        : each.All(e => e.Outcome is Outcome.NotShown or Outcome.NotJudgedYet) ? Outcome.NotShown : Outcome.HoldsOnlyInPart;
                    yield return new Verdict(head, overall,
                        string.Join("; ", each.Select((e, i) => $"early decoder {i + 1} {Verdict.Words(e.Outcome)}{(e.Reason.Length > 0 ? ": " + e.Reason : "")} ({e.Evidence})")), "");
                    continue;
                }
                Func<VariantAggregate, Spread?> figure = claim.Figure switch
                {
                    AblationClaim.Top1 => v => v.Top1,
                    AblationClaim.BinaryPrecision => v => v.BinaryPrecision,
                    _ => v => v.BinaryRecall,
                };
                var judged = JudgeTrend(rows, figure, claim.Shape, claim.Figure == AblationClaim.Top1 ? Pct : Num);
                yield return new Verdict(head, judged.Outcome, judged.Reason, judged.Evidence);
            }
        }
    }

    /// <summary>
    /// How a figure moves over an ablation's values, judged against the seeds' spread, with the values it was judged from.
    /// </summary>
    private static (Outcome Outcome, string Reason, string Evidence) JudgeTrend(List<AblationRow> rows, Func<VariantAggregate, Spread?> figure, string shape,
        Func<Spread, string> format)
    {
        var points = rows.Where(r => r.X is not null && r.Aggregate is not null && figure(r.Aggregate) is { N: > 0 })
            .Select(r => (r.Value, S: figure(r.Aggregate!)!)).ToList();
        double pooled = PooledDeviation(points.Select(p => p.S));
        string evidence = string.Join(", ", points.Select(p => $"{p.Value}: {format(p.S)}")) +
                          (double.IsFinite(pooled) ? $"; pooled sd {format(new Spread(1, pooled, double.NaN))}" : "") +
                          (points.Count < rows.Count ? $"; {points.Count} of {rows.Count} values run" : "");
        int needed = shape == AblationClaim.Peaks ? 3 : 2;
        if (points.Count < needed) return (Outcome.NotJudgedYet, "", evidence);
        if (!double.IsFinite(pooled)) return (Outcome.NotJudgedYet, "no value has two seeds, so there is no spread to judge against", evidence);
        bool Above(Spread a, Spread b) => a.Mean - b.Mean > DifferenceSpread(pooled, a, b);
        if (shape == AblationClaim.Peaks)
        {
            var inside = points.Skip(1).SkipLast(1).MaxBy(p => p.S.Mean);
            var ends = new[] { points[0], points[^1] };
            if (ends.All(e => Above(inside.S, e.S))) return (Outcome.Holds, $"highest at {inside.Value}, above both ends by more than the spread", evidence);
            var topEnd = ends.MaxBy(e => e.S.Mean);
            if (points.Where(p => p != topEnd).All(p => Above(topEnd.S, p.S)))
                return (Outcome.DoesNotHold, $"highest at the end of the range ({topEnd.Value}), above every other value by more than the spread", evidence);
            return (Outcome.NotShown, "no value stands above the others by more than the spread", evidence);
        }
        // Falls is rises with the figure's sign turned over.
        bool rises = shape == AblationClaim.Rises;
        double sign = rises ? 1 : -1;
        Spread Signed(Spread s) => s with { Mean = sign * s.Mean };
        var first = Signed(points[0].S);
        var last = Signed(points[^1].S);
        var against = points.Zip(points.Skip(1)).FirstOrDefault(x => Above(Signed(x.First.S), Signed(x.Second.S)));
        string word = rises ? AblationClaim.Rises : AblationClaim.Falls;
        string back = rises ? AblationClaim.Falls : AblationClaim.Rises;
        if (Above(last, first))
            return against.First.Value is null ? (Outcome.Holds, "", evidence)
                : (Outcome.HoldsOnlyInPart, $"it {word} from {points[0].Value} to {points[^1].Value} but {back} from {against.First.Value} to {against.Second.Value} by more than the spread", evidence);
        if (Above(first, last)) return (Outcome.DoesNotHold, $"it {back} from {points[0].Value} to {points[^1].Value} by more than the spread", evidence);
        return (Outcome.NotShown, "within the spread", evidence);
    }

    /// <summary>The pooled sample deviation of several groups (each weighted by its n - 1); NaN when none has two values.</summary>
    private static double PooledDeviation(IEnumerable<Spread> spreads)
    {
        var usable = spreads.Where(s => s.N >= 2 && double.IsFinite(s.StandardDeviation)).ToList();
        int dof = usable.Sum(s => s.N - 1);
        return dof == 0 ? double.NaN : Math.Sqrt(usable.Sum(s => (s.N - 1) * s.StandardDeviation * s.StandardDeviation) / dof);
    }

    /// <summary>
    /// Per ablation that says which way to lean, the value to start from: the one with the highest top-1, or, among the
    /// values whose top-1 ties with it within the spread, the largest (or smallest), with what it gave here.
    /// </summary>
    private static void Recommendation(StringBuilder md, ExperimentPlan plan, string planFile, ExperimentResults results, IReadOnlyList<(string Alt, string Path)> figures)
    {
        var lines = Recommendations(plan, results).ToList();
        if (lines.Count == 0) return;
        md.AppendLine("## What to start from");
        md.AppendLine();
        md.AppendLine("For a new dataset of about this size (tens of thousands of small images, ten classes, a network of a few hundred thousand parameters), " +
                      "from the ablations and the coded-against-control pairs above; each line says how firm it is.");
        md.AppendLine();
        foreach (string line in lines) md.AppendLine($"- {line}");
        md.AppendLine();
    }

    /// <summary>The recommendation of each ablation that has a <see cref="Ablation.Prefer"/> direction, as sentences.</summary>
    public static IEnumerable<string> Recommendations(ExperimentPlan plan, ExperimentResults results)
    {
        foreach (var ablation in (plan.Ablations ?? []).Where(a => a.Prefer is not null))
        {
            var rows = AblationRows(plan, results, ablation);
            var points = rows.Where(r => r.X is not null && r.Aggregate is { Top1.N: > 0 })
                .Select(r => (r.Value, X: r.X!.Value, V: r.Aggregate!)).ToList();
            double pooled = PooledDeviation(points.Select(p => p.V.Top1));
            if (points.Count < 2 || !double.IsFinite(pooled)) continue;
            var best = points.MaxBy(p => p.V.Top1.Mean);
            var tied = points.Where(p => best.V.Top1.Mean - p.V.Top1.Mean <= DifferenceSpread(pooled, best.V.Top1, p.V.Top1)).ToList();
            var chosen = ablation.Prefer == Ablation.Larger ? tied.MaxBy(p => p.X) : tied.MinBy(p => p.X);
            var v = chosen.V;
            string why = chosen.Value == best.Value
                ? (tied.Count > 1 ? $"the highest top-1 here, and the {ablation.Prefer} of the values that tie with it within the spread ({string.Join(", ", tied.Select(t => t.Value))})"
                    : "the highest top-1 here, above every other value by more than the spread")
                : $"its top-1 ties within the spread with the highest ({best.Value}: {Pct(best.V.Top1)}), and the {ablation.Prefer} of the tied values ({string.Join(", ", tied.Select(t => t.Value))})" +
                  (ablation.PreferReason is null ? "" : $": {ablation.PreferReason}");
            if (chosen.Value == best.Value && tied.Count > 1 && ablation.PreferReason is not null) why += $": {ablation.PreferReason}";
            string expect = $"top-1 {Pct(v.Top1)}" + (v.EarlyDecoders.Count > 0 ? $", last early decoder {Pct(v.EarlyDecoders[^1])}" : "") +
                            (v.BinaryPrecision.N > 0 ? $", binary classifiers' precision {Num(v.BinaryPrecision)} and recall {Num(v.BinaryRecall)}" : "");
            int runs = points.Sum(p => p.V.Top1.N), listed = ablation.Groups.Sum(g => plan.Runs.Count(r => r.Group == g && r.Variant == ExperimentPlan.CodedVariant));
            string firmness = runs < listed ? $"provisional: {runs} of the {listed} listed runs recorded" : $"from all {listed} listed runs";
            yield return $"{ablation.Name}: start from `{ablation.Flag} {chosen.Value}`: {why}. Expect {expect} ({firmness}).";
        }
        if (CodedOrControl(plan, results) is string choice) yield return choice;
    }

    /// <summary>
    /// Whether to train the coded network or a plain ResNeXt of the same size, from the groups that paired the two: what
    /// coding cost (or gained) in top-1 in each, and how that went where the control over-fit most, which is where the
    /// paper expects the coding loss and dropSubNNs to pay as regularizers. Null until a group has two paired seeds.
    /// </summary>
    private static string? CodedOrControl(ExperimentPlan plan, ExperimentResults results)
    {
        var pairs = results.Aggregates.Paired;
        if (!pairs.Any(p => p.Top1Difference.N >= 2)) return null;
        string Difference(PairedDifference p) => p.Top1Difference.N >= 2
            ? $"{Points(p.Top1Difference.Mean)} ± {Deviation(p.Top1Difference.StandardDeviation)}"
            : $"{Points(p.Top1Difference.Mean)} (one seed)";
        string each = string.Join("; ", pairs.Select(p => $"{p.Group}: {Difference(p)}"));
        var behind = pairs.Where(p => p.Top1Difference.Mean < 0).ToList();
        string cost = behind.Count == pairs.Count ? "coding cost top-1 in every paired group here"
            : behind.Count == 0 ? "coded was at least as accurate as its control on average in every paired group here"
            : $"coded was at least as accurate on average in {string.Join(", ", pairs.Except(behind).Select(p => p.Group))} and behind elsewhere";
        // Where the control fits its training set best against its validation set, a regularizer has the most to correct.
        var overfits = pairs.Where(p => p.ControlOverfit.N > 0).MaxBy(p => p.ControlOverfit.Mean);
        string regime = "";
        if (overfits is { ControlOverfit.Mean: > 0 } && pairs.Count > 1)
        {
            bool least = overfits.Top1Difference.Mean < 0 && pairs.All(p => p.Top1Difference.Mean <= overfits.Top1Difference.Mean);
            string where = $"{overfits.Group}: its training accuracy {Points(overfits.ControlOverfit.Mean)} points above validation, coded − control {Difference(overfits)}";
            regime = least ? $", least where the control over-fit most ({where})" : $"; the control over-fit most in {where}";
        }
        string advice = behind.Count == pairs.Count
            ? "train the coded network for what only it gives (early decoders, per-class paths, binary classifiers), not for top-1, and expect it to trail an equal plain ResNeXt"
            : overfits is not null && overfits.Top1Difference.Mean >= 0
                ? "where the plain network over-fits its training set, the coded one is worth trying for top-1 as well"
                : "the coded network is worth it for its early decoders, per-class paths and binary classifiers; for top-1 it depends on the regime";
        int listed = plan.Runs.Where(r => r.Variant == ExperimentPlan.ControlVariant)
            .Count(c => plan.Runs.Any(r => r.Group == c.Group && r.Seed == c.Seed && r.Variant == ExperimentPlan.CodedVariant));
        int recorded = pairs.Sum(p => p.Seeds.Count);
        string firmness = recorded < listed ? $"provisional: {recorded} of the {listed} listed pairs recorded" : $"from all {listed} listed pairs";
        return $"Coded or a plain ResNeXt of the same size: {cost}{regime}, so {advice} (coded − control top-1 in points, {each}; {firmness}).";
    }

    /// <summary>The ablations: per ablation, one row per value of its flag (in numeric order) with the coded runs' figures.</summary>
    private static void Ablations(StringBuilder md, ExperimentPlan plan, string planFile, ExperimentResults results, IReadOnlyList<(string Alt, string Path)> figures)
    {
        if (plan.Ablations is not { Count: > 0 } ablations) return;
        md.AppendLine("## Ablations");
        md.AppendLine();
        md.AppendLine("Coded runs only; each row is one value of the flag, the others as the recipe. The removal gap is the top-1 of the " +
                      "test block with its inactive subNNs removed minus with its active ones removed (as many of each), in points; " +
                      "a row not yet run shows dashes.");
        md.AppendLine();
        for (int k = 0; k < ablations.Count; k++)
        {
            var ablation = ablations[k];
            md.AppendLine($"### {ablation.Name}");
            md.AppendLine();
            if (ablation.Paper is not null) { md.AppendLine($"The paper: {ablation.Paper}"); md.AppendLine(); }
            var rows = AblationRows(plan, results, ablation);
            int decoders = rows.Max(r => r.Aggregate?.EarlyDecoders.Count ?? 0);
            md.AppendLine($"| `{ablation.Flag}` | seeds | top-1 | " + string.Concat(Enumerable.Range(1, decoders).Select(i => $"early decoder {i} | ")) +
                          "removal gap | binary precision | binary recall |");
            md.AppendLine("|---|---|---:|" + string.Concat(Enumerable.Repeat("---:|", decoders + 3)));
            foreach (var (value, _, v) in rows)
            {
                if (v is null)
                {
                    md.AppendLine(($"| {value} | — | — | " + string.Concat(Enumerable.Repeat("— | ", decoders + 3))).TrimEnd());
                    continue;
                }
                md.AppendLine($"| {value} | {string.Join(", ", v.Seeds)} | {Pct(v.Top1)} | " +
                              string.Concat(Enumerable.Range(0, decoders).Select(i => (i < v.EarlyDecoders.Count ? Pct(v.EarlyDecoders[i]) : "—") + " | ")) +
                              $"{RemovalGap(v)} | {Num(v.BinaryPrecision)} | {Num(v.BinaryRecall)} |");
            }
            md.AppendLine();
            md.AppendLine(Figure(figures, FirstAblationFigure + k));
        }
    }

    /// <summary>
    /// An ablation's figures against its flag's value, as the paper plots them, in two panels side by side: top-1 alone
    /// on its own scale (its differences between values are tenths of a point, which a shared 0-100 % axis would
    /// flatten), and beside it every early decoder with the binary classifiers' precision and recall.
    /// </summary>
    private static ReportFigure AblationFigure(ExperimentPlan plan, ExperimentResults results, Ablation ablation)
    {
        var points = AblationRows(plan, results, ablation)
            .Where(r => r.X is not null && r.Aggregate is not null)
            .Select(r => (X: r.X!.Value, V: r.Aggregate!))
            .ToList();
        void Series(Plot plot, Func<VariantAggregate, Spread?> figure, Color color, string label, LinePattern pattern)
        {
            var set = points.Where(p => figure(p.V) is { N: > 0 }).ToList();
            if (set.Count == 0) return;
            LineWithErrors(plot, set.Select(p => p.X).ToArray(), set.Select(p => 100 * figure(p.V)!.Mean).ToArray(),
                set.Select(p => 100 * Zero(figure(p.V)!.StandardDeviation)).ToArray(), color, label, pattern);
        }
        string flag = ablation.Flag.TrimStart('-');

        var top1 = PlotRendering.NewPlot();
        Series(top1, v => v.Top1, PlotRendering.Gray, "top-1", LinePattern.Solid);
        // The uncoded network of the same recipe, where the plan has one, is the line every value is measured against.
        var control = ablation.Groups
            .Select(g => results.Aggregates.Variants.FirstOrDefault(v => v.Group == g && v.Variant == ExperimentPlan.ControlVariant))
            .FirstOrDefault(v => v is { Top1.N: > 0 });
        if (control is not null)
        {
            var line = top1.Add.HorizontalLine(100 * control.Top1.Mean, 2, PlotRendering.Gray, LinePattern.Dotted);
            line.LegendText = $"control, uncoded (seeds {string.Join(", ", control.Seeds)})";
        }
        var top1Panel = Finish(top1, $"{ablation.Name}: top-1", flag, "validation top-1 (%)", Alignment.LowerRight, "", "");

        var others = PlotRendering.NewPlot();
        var colors = new[] { PlotRendering.Blue, PlotRendering.Green, PlotRendering.Red, PlotRendering.Orange };
        int decoders = points.Count == 0 ? 0 : points.Max(p => p.V.EarlyDecoders.Count);
        for (int i = 0; i < decoders; i++)
        {
            int b = i;
            Series(others, v => b < v.EarlyDecoders.Count ? v.EarlyDecoders[b] : null, colors[i % colors.Length], $"early decoder {i + 1}", LinePattern.Dashed);
        }
        // Colours of their own: the early decoders take the palette's four.
        Series(others, v => v.BinaryPrecision, Color.FromHex("#9467bd"), "binary precision", LinePattern.Dotted);
        Series(others, v => v.BinaryRecall, Color.FromHex("#8c564b"), "binary recall", LinePattern.Dotted);
        var othersPanel = Finish(others, "early decoders and binary classifiers", flag, "validation figure (%)", Alignment.LowerRight, "", "");

        return PlotRendering.SideBySide($"ablation-{flag}.png",
            $"{ablation.Name}: left, top-1 against {flag} on its own scale; right, every early decoder and the binary classifiers' " +
            "precision and recall; error bars one standard deviation over seeds",
            top1Panel, othersPanel);
    }

    /// <summary>One value of an ablation's flag: as written, as a number (null when it is not one), and the coded runs' aggregate (null: not yet run).</summary>
    private readonly record struct AblationRow(string Value, double? X, VariantAggregate? Aggregate);

    /// <summary>An ablation's groups with their flag values in numeric order (values that are not numbers last).</summary>
    private static List<AblationRow> AblationRows(ExperimentPlan plan, ExperimentResults results, Ablation ablation) =>
        ablation.Groups
            .Select(g =>
            {
                string value = plan.AblationValue(ablation, g);
                return new AblationRow(value, double.TryParse(value, NumberStyles.Float, Invariant, out double x) ? x : null,
                    results.Aggregates.Variants.FirstOrDefault(v => v.Group == g && v.Variant == ExperimentPlan.CodedVariant));
            })
            .OrderBy(r => r.X ?? double.MaxValue)
            .ToList();

    /// <summary>The seeds' spread of a difference of two means: the pooled deviation times √(1/n₁ + 1/n₂).</summary>
    private static double DifferenceSpread(double pooled, Spread a, Spread b) => pooled * Math.Sqrt(1.0 / a.N + 1.0 / b.N);
}
