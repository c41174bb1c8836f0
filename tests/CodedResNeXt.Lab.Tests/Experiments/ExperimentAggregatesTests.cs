using CodedResNeXt.Analysis;
using CodedResNeXt.Experiments;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Experiments;

public class ExperimentAggregatesTests
{
    private static RunFigures Run(string group, string variant, int seed, double top1, double[]? early = null, double[]? active = null,
        double[]? inactive = null, (double P, double R, double? OodP, double? OodR)[]? binary = null, double seconds = 600,
        (double Fpr, double? OodFpr)[]? rates = null, int[]? heldOut = null) =>
        new($"{group}-{variant}-{seed}", group, variant, seed, $"crx train --seed {seed}", "crx analyze", group, 1000, 15, seconds, 60000 * 15 / seconds,
            top1, [top1, top1], early is null ? [] : [.. Enumerable.Range(2, early.Length)], early ?? [],
            active is null ? null : new SpecializationResult(2, "cifar10/5/10", top1, active, inactive!),
            (binary ?? []).Select((b, k) => new BinaryClassifierFigures(k, $"class {k}", 100, 0.5, 0.1, b.P, b.R, b.OodP, b.OodR,
                rates?[k].Fpr, rates?[k].OodFpr)).ToList(), heldOut ?? [], "2026-11-24 00:00:00Z");

    // Three coded seeds, two control seeds: the hand-computed figures below follow from these numbers.
    private static readonly RunFigures[] MadeUp =
    [
        Run("tiny", "coded", 1, 0.90, early: [0.80, 0.85], active: [0.5, 0.1], inactive: [0.9, 0.88], binary: [(0.9, 0.8, 0.7, 0.8), (0.7, 0.6, 0.5, 0.6)]),
        Run("tiny", "coded", 2, 0.92, early: [0.82, 0.89], active: [0.3, 0.1], inactive: [0.9, 0.86], binary: [(0.8, 0.8, null, null)]),
        Run("tiny", "coded", 3, 0.94, early: [0.84, 0.90], active: [0.4, 0.1], inactive: [0.9, 0.87]),
        Run("tiny", "control", 1, 0.88),
        Run("tiny", "control", 2, 0.91),
        Run("small", "coded", 1, 0.95),
    ];

    [Fact]
    public void Each_group_and_variant_gets_the_mean_and_sample_deviation_over_its_seeds()
    {
        var a = ExperimentAggregates.Of(MadeUp);
        Assert.Equal([("tiny", "coded"), ("tiny", "control"), ("small", "coded")], a.Variants.Select(v => (v.Group, v.Variant)));
        var coded = a.Variants[0];
        Assert.Equal([1, 2, 3], coded.Seeds);
        Assert.Equal(3, coded.Top1.N);
        Assert.Equal(0.92, coded.Top1.Mean, 1e-12);
        Assert.Equal(0.02, coded.Top1.StandardDeviation, 1e-12); // sqrt((0.02² + 0 + 0.02²) / 2)
        Assert.Equal([0.82, 0.88], coded.EarlyDecoders.Select(s => s.Mean), new ToleranceComparer(1e-12));
        Assert.Equal(Math.Sqrt((0.0009 + 0.0001 + 0.0004) / 2), coded.EarlyDecoders[1].StandardDeviation, 1e-12);
        Assert.Equal([0.4, 0.1], coded.ActiveRemoved.Select(s => s.Mean), new ToleranceComparer(1e-12));
        Assert.Equal(0.87, coded.InactiveRemoved[1].Mean, 1e-12);

        var control = a.Variants[1];
        Assert.Equal(0.895, control.Top1.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(2 * 0.015 * 0.015), control.Top1.StandardDeviation, 1e-12);
        Assert.Empty(control.EarlyDecoders);
        Assert.Empty(control.ActiveRemoved);

        var single = a.Variants[2];
        Assert.Equal(1, single.Top1.N);
        Assert.True(double.IsNaN(single.Top1.StandardDeviation), "one seed has no sample deviation");
    }

    [Fact]
    public void Binary_classifier_figures_average_over_classes_first_then_over_seeds_and_skip_runs_without_them()
    {
        var coded = ExperimentAggregates.Of(MadeUp).Variants[0];
        // Run 1: classes average to precision 0.8, recall 0.7; run 2: 0.8, 0.8; run 3 has no classifiers.
        Assert.Equal(2, coded.BinaryPrecision.N);
        Assert.Equal(0.8, coded.BinaryPrecision.Mean, 1e-12);
        Assert.Equal(0.75, coded.BinaryRecall.Mean, 1e-12);
        // Only run 1 held classes out.
        Assert.Equal(1, coded.BinaryOodPrecision.N);
        Assert.Equal(0.6, coded.BinaryOodPrecision.Mean, 1e-12);
        Assert.Equal(0.7, coded.BinaryOodRecall.Mean, 1e-12);
    }

    [Fact]
    public void Paired_differences_are_coded_minus_control_on_the_seeds_both_finished()
    {
        var paired = Assert.Single(ExperimentAggregates.Of(MadeUp).Paired);
        Assert.Equal("tiny", paired.Group);
        Assert.Equal([1, 2], paired.Seeds);
        Assert.Equal([0.02, 0.01], paired.Differences, new ToleranceComparer(1e-12));
        Assert.Equal(0.015, paired.Top1Difference.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(2 * 0.005 * 0.005), paired.Top1Difference.StandardDeviation, 1e-12);
    }

    [Fact]
    public void The_paired_table_shows_how_much_each_variant_over_fits_and_the_verdict_names_the_regime()
    {
        // Training accuracy minus validation top-1, per paired seed: coded 0.93-0.92 and 0.94-0.90; control 0.96-0.93, 0.97-0.94.
        RunFigures[] runs =
        [
            Run("g", "coded", 1, 0.92) with { TrainTop1 = 0.93 }, Run("g", "coded", 2, 0.90) with { TrainTop1 = 0.94 },
            Run("g", "control", 1, 0.93) with { TrainTop1 = 0.96 }, Run("g", "control", 2, 0.94) with { TrainTop1 = 0.97 },
        ];
        var paired = Assert.Single(ExperimentAggregates.Of(runs).Paired);
        Assert.Equal(0.025, paired.CodedOverfit.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(2 * 0.015 * 0.015), paired.CodedOverfit.StandardDeviation, 1e-12);
        Assert.Equal(0.03, paired.ControlOverfit.Mean, 1e-12);
        var verdict = Assert.Single(ExperimentReport.Verdicts(ExperimentAggregates.Of(runs)), v => v.Claim == "Coded at least as accurate as its control (g)");
        Assert.Equal(Outcome.DoesNotHold, verdict.Outcome);
        Assert.EndsWith("; the control over-fits here: training +3.00 points against validation, coded +2.50", verdict.Evidence);
        // Runs recorded before the training accuracy was kept have no gap, and the verdict does not guess one.
        var old = Assert.Single(ExperimentAggregates.Of(MadeUp).Paired);
        Assert.Equal(0, old.ControlOverfit.N);
        Assert.EndsWith("paired seeds", Assert.Single(ExperimentReport.Verdicts(ExperimentAggregates.Of(MadeUp)), v => v.Claim.StartsWith("Coded at least")).Evidence);
    }

    [Fact]
    public void The_verdicts_say_what_the_numbers_show()
    {
        var verdicts = ExperimentReport.Verdicts(ExperimentAggregates.Of(MadeUp)).ToDictionary(v => v.Claim);
        Assert.Equal((Outcome.Holds, "coded is more accurate by more than the spread"),
            (verdicts["Coded at least as accurate as its control (tiny)"].Outcome, verdicts["Coded at least as accurate as its control (tiny)"].Reason));
        Assert.Equal(Outcome.Holds, verdicts["Early decoders rise with depth (tiny)"].Outcome);
        Assert.Equal(Outcome.Holds, verdicts["SubNNs specialize (tiny)"].Outcome); // 0.87 - 0.1: 77 points
        Assert.Equal("Early decoders rise with depth (tiny): holds (82.00 ± 2.00 % → 88.00 ± 2.65 %, final 92.00 ± 2.00 %).",
            verdicts["Early decoders rise with depth (tiny)"].Sentence);
        Verdict Specialization(ExperimentAggregates a) => ExperimentReport.Verdicts(a).Single(v => v.Claim.StartsWith("SubNNs specialize"));
        var weak = Specialization(ExperimentAggregates.Of([Run("w", "coded", 1, 0.9, active: [0.90, 0.85], inactive: [0.90, 0.88])]));
        Assert.Equal((Outcome.HoldsOnlyInPart, "only weakly: removing 2 active subNNs costs 3.00 points more than removing 2 inactive ones, under the 20 points that count as specialized"), (weak.Outcome, weak.Reason));
        // Seeds spread 0.88 and 0.90 after removing 2 inactive subNNs (sd 1.41 points): a 1-point gap is within it.
        var noisy = Specialization(ExperimentAggregates.Of([Run("n", "coded", 1, 0.9, active: [0.90, 0.88], inactive: [0.90, 0.88]),
                                                            Run("n", "coded", 2, 0.9, active: [0.90, 0.88], inactive: [0.90, 0.90])]));
        Assert.Equal((Outcome.NotShown, "removing 2 active subNNs costs 1.00 points more than removing 2 inactive ones, within the spread over seeds, 1.41 points"),
            (noisy.Outcome, noisy.Reason));

        var worse = ExperimentAggregates.Of([Run("g", "coded", 1, 0.80), Run("g", "coded", 2, 0.81), Run("g", "control", 1, 0.90), Run("g", "control", 2, 0.90)]);
        Assert.Equal((Outcome.DoesNotHold, "coded is less accurate by more than the spread"),
            ExperimentReport.Verdicts(worse).Where(v => v.Claim.StartsWith("Coded at least")).Select(v => (v.Outcome, v.Reason)).Single());
    }

    [Fact]
    public void The_results_file_round_trips_and_its_aggregates_are_recomputed_from_the_runs()
    {
        using var tmp = new TempDirectory();
        string path = tmp["results/experiment.json"];
        var results = ExperimentResults.Of("made-up", MadeUp[..2]).With(MadeUp[2]).With(MadeUp[2] with { Top1 = 0.96 });
        Assert.Equal(3, results.Runs.Count); // the same run recorded again replaces the first record
        results.Save(path);
        Assert.Empty(Directory.GetFiles(tmp["results"], "*.tmp"));
        // What was not measured (run 2's held-out precision, a single seed's deviation) is null, readable by any JSON reader.
        string text = File.ReadAllText(path);
        Assert.DoesNotContain("NaN", text);
        Assert.Contains("\"mean_ood_precision\": null", text);

        var loaded = ExperimentResults.LoadOrEmpty(path, "ignored");
        Assert.Equal("made-up", loaded.Experiment);
        Assert.Equal(results.Runs.Select(r => (r.Name, r.Top1)), loaded.Runs.Select(r => (r.Name, r.Top1)));
        Assert.Equal((0.90 + 0.92 + 0.96) / 3, loaded.Aggregates.Variants[0].Top1.Mean, 1e-12);
        Assert.True(double.IsNaN(loaded.Runs[1].MeanOodPrecision));
        Assert.Null(loaded.Runs[1].BinaryClassifiers[0].OodPrecision); // a figure the run has no use for stays null, not NaN
        Assert.Equal(0.6, loaded.Runs[0].MeanOodPrecision, 1e-12);

        // Files written before missing figures became null hold "NaN" strings: they still load.
        string old = text.Replace("\"standard_deviation\": null", "\"standard_deviation\": \"NaN\"");
        Assert.Contains("\"NaN\"", old);
        File.WriteAllText(path, old);
        var reloaded = ExperimentResults.LoadOrEmpty(path, "ignored");
        Assert.Equal(3, reloaded.Runs.Count);
        Assert.True(double.IsNaN(reloaded.Aggregates.Variants[0].BinaryOodPrecision.StandardDeviation));
        Assert.Empty(ExperimentResults.LoadOrEmpty(tmp["none.json"], "fresh").Runs);
    }

    [Fact]
    public void Unseen_classes_are_judged_by_false_positive_rate_not_precision()
    {
        // Precision 0.9 against 2000 held-out images and 0.8 against 7000 trained ones, yet the held-out images are
        // accepted at 3 and 4 times the trained rate: the verdict follows the rates (3.5x on average).
        (double, double, double?, double?)[] binary = [(0.8, 0.9, 0.9, 0.9), (0.8, 0.9, 0.9, 0.9)];
        var held = ExperimentAggregates.Of([
            Run("held", "coded", 1, 0.95, binary: binary, rates: [(0.02, 0.06), (0.02, 0.08)], heldOut: [8, 9]),
        ]);
        var v = Assert.Single(held.Variants);
        Assert.Equal([8, 9], v.HeldOutClasses);
        Assert.Equal(0.02, v.BinaryFalsePositiveRate.Mean, 1e-12);
        Assert.Equal(0.07, v.BinaryOodFalsePositiveRate.Mean, 1e-12);
        Assert.Contains(ExperimentReport.Verdicts(held), s => s.Claim == "Binary classifiers against classes never seen in training (held)"
                                                              && s.Outcome == Outcome.DoesNotHold && s.Reason == "they accept 3.5 times as many unseen images as images of other trained classes");

        var fine = ExperimentAggregates.Of([Run("held", "coded", 1, 0.95, binary: binary, rates: [(0.02, 0.01), (0.02, 0.02)], heldOut: [8, 9])]);
        Assert.Contains(ExperimentReport.Verdicts(fine), s => s.Outcome == Outcome.Holds && s.Reason == "they accept no more unseen images than images of other trained classes");
    }

    [Fact]
    public void Runs_that_held_classes_out_are_not_set_beside_ten_class_published_results()
    {
        var runs = new[] { Run("all", "coded", 1, 0.93), Run("held", "coded", 1, 0.97, heldOut: [8, 9]) };
        var plan = new ExperimentPlan("made-up", "runs", "results.json", "results.md", [], [new Baseline("ResNet-18", 0.949, 11.17, "somewhere")]);
        string md = ExperimentReport.Markdown(plan, "experiments/made-up.json", ExperimentResults.Of("made-up", runs), []);
        string comparison = md[md.IndexOf("## Against published")..md.IndexOf("## Every run")];
        Assert.Contains("| ours: all coded (mean of 1) | 93.00 %", comparison);
        Assert.DoesNotContain("held", comparison);
        Assert.Contains("| 8.5 |", comparison); // 94.9 points / 11.17 M
        Assert.Contains("| ours: best coded run (all-coded-1) | 93.00 % | 0.001 M | 93000.0 |", comparison); // 93 points / 0.001 M
    }

    [Fact]
    public void An_ablation_lists_its_groups_in_the_order_of_the_flags_value_the_recipes_group_at_the_recipes_value()
    {
        ExperimentRun Listed(string name, string group, params string[] train) => new(name, group, "coded", 1, ["--seed", "1", .. train], []);
        var plan = new ExperimentPlan("made-up", "runs", "r.json", "r.md",
            [Listed("a", "mu 12", "--mu", "12"), Listed("b", "recipe"), Listed("c", "mu 0", "--mu", "0"), Listed("d", "mu 3", "--mu", "3")],
            Ablations: [new Ablation("mu", "--mu", "6", ["mu 12", "recipe", "mu 0", "mu 3"], "rises, then falls")]);
        Assert.Null(plan.Problem());
        var runs = new[]
        {
            Run("mu 12", "coded", 1, 0.91, early: [0.80, 0.90], active: [0.5, 0.1], inactive: [0.9, 0.88]),
            Run("recipe", "coded", 1, 0.93, early: [0.82, 0.91]),
            Run("mu 0", "coded", 1, 0.92),
        };

        string md = ExperimentReport.Markdown(plan, "experiments/made-up.json", ExperimentResults.Of("made-up", runs), []);

        string section = md[md.IndexOf("## Ablations")..md.IndexOf("## Early decoders by depth")];
        var rows = section.Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| `")).ToList();
        Assert.Equal(["0", "3", "6", "12"], rows.Select(r => r.Split('|')[1].Trim()));
        // The gap at j = 2 removed: inactive 88 % minus active 10 %.
        Assert.Equal("| 12 | 1 | 91.00 % | 80.00 % | 90.00 % | +78.00 | — | — |", rows[3]);
        Assert.StartsWith("| 3 | — | — |", rows[1]); // listed, not yet run
        Assert.StartsWith("| 6 | 1 | 93.00 % | 82.00 % | 91.00 % | — |", rows[2]);
        Assert.Contains("The paper: rises, then falls", section);

        // Written out, each ablation gets its figure, embedded under its table.
        using var tmp = new TempDirectory();
        var written = plan with { Report = tmp["docs/results.md"] };
        ExperimentReport.Write(written, "experiments/made-up.json", ExperimentResults.Of("made-up", runs));
        // Two panels side by side (top-1 on its own scale, the rest beside it), each as wide as a single chart.
        using (var png = SkiaSharp.SKBitmap.Decode(tmp["docs/results/ablation-mu.png"]))
            Assert.True(png.Width > 3 * png.Height, $"{png.Width}x{png.Height} is not two charts wide");
        string report = File.ReadAllText(written.Report);
        Assert.Contains("](results/ablation-mu.png)", report[report.IndexOf("## Ablations")..report.IndexOf("## Early decoders by depth")]);

        var bad = plan with { Ablations = [new Ablation("mu", "--mu", "6", ["nowhere"])] };
        Assert.Equal("ablation 'mu': no run is in group 'nowhere'", bad.Problem());
    }

    // Two seeds per value of --mu; top-1 and one early decoder per run, chosen so that the verdicts follow by hand.
    private static (ExperimentPlan Plan, RunFigures[] Runs) MuAblation(double mu12Seed1, double mu12Seed2)
    {
        ExperimentRun Listed(string group, int seed, params string[] train) => new($"{group}-{seed}", group, "coded", seed, ["--seed", $"{seed}", .. train], []);
        var plan = new ExperimentPlan("made-up", "runs", "r.json", "r.md",
            [Listed("mu 0", 1, "--mu", "0"), Listed("mu 0", 2, "--mu", "0"), Listed("recipe", 1), Listed("recipe", 2),
             Listed("mu 12", 1, "--mu", "12"), Listed("mu 12", 2, "--mu", "12")],
            Ablations: [new Ablation("mu", "--mu", "6", ["mu 0", "recipe", "mu 12"], Claims:
                [new AblationClaim("top1", "peaks", "Top-1 peaks"), new AblationClaim("early_decoders", "rises", "Early decoders rise")],
                Prefer: Ablation.Larger, PreferReason: "it helps the early decoders")]);
        Assert.Null(plan.Problem());
        (double, double, double?, double?)[] binary = [(0.9, 0.8, null, null)];
        RunFigures[] runs =
        [
            Run("mu 0", "coded", 1, 0.90, early: [0.10], binary: binary), Run("mu 0", "coded", 2, 0.92, early: [0.12], binary: binary),
            Run("recipe", "coded", 1, 0.94, early: [0.80], binary: binary), Run("recipe", "coded", 2, 0.96, early: [0.82], binary: binary),
            Run("mu 12", "coded", 1, mu12Seed1, early: [0.70], binary: binary), Run("mu 12", "coded", 2, mu12Seed2, early: [0.72], binary: binary),
        ];
        return (plan, runs);
    }

    [Fact]
    public void An_ablations_claims_are_judged_against_the_pooled_spread_of_a_difference_of_two_means()
    {
        // Top-1 means 91, 95 and 93 %, each sd 1.41 points: the pooled sd is 1.41 and a difference of two 2-seed means
        // counts above 1.41 × √(1/2 + 1/2) = 1.41 points. 95 is above 91 and 93 by more: a peak at mu 6.
        var (plan, runs) = MuAblation(0.92, 0.94);
        var verdicts = ExperimentReport.AblationVerdicts(plan, ExperimentResults.Of("made-up", runs)).ToList();
        Assert.Equal(2, verdicts.Count);
        Assert.Equal(Outcome.Holds, verdicts[0].Outcome);
        Assert.Equal("Top-1 peaks (mu, `--mu`): holds: highest at 6, above both ends by more than the spread " +
                     "(0: 91.00 ± 1.41 %, 6: 95.00 ± 1.41 %, 12: 93.00 ± 1.41 %; pooled sd 1.41 %).", verdicts[0].Sentence);
        // The early decoder rises from 11 to 71 % overall but falls from 81 to 71 % between 6 and 12.
        Assert.Equal("Early decoders rise (mu, `--mu`): holds only in part: early decoder 1 holds only in part: it rises from 0 to 12 " +
                     "but falls from 6 to 12 by more than the spread (0: 11.00 ± 1.41 %, 6: 81.00 ± 1.41 %, 12: 71.00 ± 1.41 %; pooled sd 1.41 %).", verdicts[1].Sentence);
        Assert.Equal(Outcome.HoldsOnlyInPart, verdicts[1].Outcome);
        // Mu 6 beats 12 by 2 points, more than the spread: it is recommended although the plan leans to larger values.
        string recommendation = Assert.Single(ExperimentReport.Recommendations(plan, ExperimentResults.Of("made-up", runs)));
        Assert.StartsWith("mu: start from `--mu 6`: the highest top-1 here, above every other value by more than the spread. Expect top-1 95.00 ± 1.41 %", recommendation);
        Assert.EndsWith("(from all 6 listed runs).", recommendation);

        // The general claims are stated once, for the recipe's group; the variations are judged by the ablation's claims.
        string md = ExperimentReport.Markdown(plan, "experiments/made-up.json", ExperimentResults.Of("made-up", runs), []);
        string claims = md[md.IndexOf("## Where the paper's claims hold here")..md.IndexOf("## Ablations")];
        Assert.Contains("- Binary classifiers (recipe, coded): mean precision 0.900", claims);
        Assert.DoesNotContain("(mu 0)", claims);
        Assert.DoesNotContain("(mu 12)", claims);
        Assert.Contains("- Top-1 peaks (mu, `--mu`): holds", claims);
        Assert.Contains("- mu: start from `--mu 6`", md[md.IndexOf("## What to start from")..]);
    }

    [Fact]
    public void Whether_to_train_coded_or_plain_is_said_from_the_paired_groups_and_where_the_control_over_fits_most()
    {
        // "short": coded − control −2 and −1 points, the control 1 point above validation in training.
        // "long": −1 and 0 points, the control 5 and 3 points above validation: it over-fits most there, and coding costs least.
        ExperimentRun Listed(string group, string variant, int seed) => new($"{group}-{variant}-{seed}", group, variant, seed, ["--seed", $"{seed}"], []);
        var plan = new ExperimentPlan("made-up", "runs", "r.json", "r.md",
            [.. new[] { "short", "long" }.SelectMany(g => new[] { 1, 2, 3 }.SelectMany(s => new[] { Listed(g, "coded", s), Listed(g, "control", s) }))]);
        RunFigures[] runs =
        [
            Run("short", "coded", 1, 0.90) with { TrainTop1 = 0.90 }, Run("short", "control", 1, 0.92) with { TrainTop1 = 0.93 },
            Run("short", "coded", 2, 0.91) with { TrainTop1 = 0.91 }, Run("short", "control", 2, 0.92) with { TrainTop1 = 0.93 },
            Run("long", "coded", 1, 0.93) with { TrainTop1 = 0.95 }, Run("long", "control", 1, 0.94) with { TrainTop1 = 0.99 },
            Run("long", "coded", 2, 0.94) with { TrainTop1 = 0.96 }, Run("long", "control", 2, 0.94) with { TrainTop1 = 0.97 },
        ];
        string line = Assert.Single(ExperimentReport.Recommendations(plan, ExperimentResults.Of("made-up", runs)));
        Assert.Equal("Coded or a plain ResNeXt of the same size: coding cost top-1 in every paired group here, least where the control over-fit most " +
                     "(long: its training accuracy +4.00 points above validation, coded − control −0.50 ± 0.71), so train the coded network for what only " +
                     "it gives (early decoders, per-class paths, binary classifiers), not for top-1, and expect it to trail an equal plain ResNeXt " +
                     "(coded − control top-1 in points, short: −1.50 ± 0.71; long: −0.50 ± 0.71; provisional: 4 of the 6 listed pairs recorded).", line);

        // Coded ahead where the control over-fits: the advice turns; one seed per group is not enough to say anything.
        var ahead = runs.Select(r => r.Group == "long" && r.Variant == "coded" ? r with { Top1 = r.Top1 + 0.02 } : r).ToArray();
        Assert.Contains("coded was at least as accurate on average in long and behind elsewhere; the control over-fit most in long",
            Assert.Single(ExperimentReport.Recommendations(plan, ExperimentResults.Of("made-up", ahead))));
        Assert.Contains("so where the plain network over-fits its training set, the coded one is worth trying for top-1 as well",
            Assert.Single(ExperimentReport.Recommendations(plan, ExperimentResults.Of("made-up", ahead))));
        Assert.Empty(ExperimentReport.Recommendations(plan, ExperimentResults.Of("made-up", runs.Where(r => r.Seed == 1).ToArray())));
    }

    [Fact]
    public void A_value_whose_top1_ties_with_the_best_is_recommended_when_it_lies_the_preferred_way_and_a_tie_shows_no_peak()
    {
        // Mu 12 at 94.5 ± 0.71 %: the pooled sd is √((2 + 2 + 0.5) / 3) = 1.22 points, so its 0.5 points below mu 6 tie.
        var (plan, runs) = MuAblation(0.94, 0.95);
        var results = ExperimentResults.Of("made-up", runs);
        var peak = ExperimentReport.AblationVerdicts(plan, results).First();
        Assert.Equal((Outcome.NotShown, "no value stands above the others by more than the spread"), (peak.Outcome, peak.Reason));
        Assert.StartsWith("mu: start from `--mu 12`: its top-1 ties within the spread with the highest (6: 95.00 ± 1.41 %), " +
                          "and the larger of the tied values (6, 12): it helps the early decoders. Expect top-1 94.50 ± 0.71 %, last early decoder 71.00 ± 1.41 %",
            Assert.Single(ExperimentReport.Recommendations(plan, results)));

        // With one value run there is nothing to judge yet, and no recommendation.
        var one = ExperimentResults.Of("made-up", runs.Where(r => r.Group == "recipe").ToArray());
        Assert.All(ExperimentReport.AblationVerdicts(plan, one), v => Assert.Equal(Outcome.NotJudgedYet, v.Outcome));
        Assert.Empty(ExperimentReport.Recommendations(plan, one));

        var bad = plan with { Ablations = [plan.Ablations![0] with { Claims = [new AblationClaim("top1", "wobbles", "?")] }] };
        Assert.StartsWith("ablation 'mu': a claim needs a figure", bad.Problem());
    }

    [Fact]
    public void The_report_names_the_command_that_regenerates_it_with_the_experiment_file()
    {
        var plan = new ExperimentPlan("made-up", "runs", "results/made-up.json", "docs/results.md", []);
        string md = ExperimentReport.Markdown(plan, "experiments/made-up.json", ExperimentResults.Of("made-up", [Run("all", "coded", 1, 0.93)]), []);
        string first = md.Split('\n')[2];
        Assert.StartsWith("Generated by `crx experiment experiments/made-up.json` from `results/made-up.json`", first);
    }

    [Fact]
    public void Recorded_runs_are_kept_in_the_order_the_plan_lists_them()
    {
        ExperimentRun Listed(RunFigures r) => new(r.Name, r.Group, r.Variant, r.Seed, [], []);
        var plan = new ExperimentPlan("made-up", "runs", "results.json", "results.md", [.. MadeUp[..4].Select(Listed)]);
        // Run 2 re-analyzed after the others, and a run the plan no longer lists.
        var results = ExperimentResults.Of("made-up", [MadeUp[5], MadeUp[0], MadeUp[2], MadeUp[3]]).With(MadeUp[1]).InOrderOf(plan);
        Assert.Equal([MadeUp[0].Name, MadeUp[1].Name, MadeUp[2].Name, MadeUp[3].Name, MadeUp[5].Name], results.Runs.Select(r => r.Name));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
