using System.Text.Json;
using CodedResNeXt.Experiments;
using CodedResNeXt.Tests.Analysis;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Experiments;

[Collection(TinyRunsCollection.Name)]
public class ExperimentVerbTests(TinyRuns runs)
{
    private ExperimentPlan Plan(string root, string arch)
    {
        string[] Train(int seed, bool control) =>
        [
            "--dataset", "fashion-mnist", "--data-dir", runs.DataDir, "--arch", arch, "--epochs", "1", "--batch", "20",
            "--flip", "false", "--crop-padding", "0", "--threads", "1", "--seed", seed.ToString(), .. control ? new[] { "--control" } : [],
        ];
        string[] analyze = ["--data-dir", runs.DataDir, "--threshold-samples", "100", "--threads", "1"];
        return new ExperimentPlan("made-up", Path.Combine(root, "runs"), Path.Combine(root, "results", "made-up.json"), Path.Combine(root, "docs", "results.md"),
        [
            new ExperimentRun("tiny-coded-7", "tiny", "coded", 7, Train(7, false), analyze),
            new ExperimentRun("tiny-control-7", "tiny", "control", 7, Train(7, true), analyze),
        ],
        [new Baseline("a published network", 0.9, 1.0, "somewhere")]);
    }

    [Fact]
    public void An_experiment_records_each_run_as_it_ends_continues_from_its_results_and_a_recorded_command_reproduces_its_top1()
    {
        using var tmp = new TempDirectory();
        var plan = Plan(tmp.Path, Synthetic.ArchitectureFile(tmp.Path));
        string file = tmp["experiment.json"];
        File.WriteAllText(file, JsonSerializer.Serialize(plan, ExperimentPlan.Json));

        var (code, output, error) = CrxProcess.Run(tmp.Path, "experiment", file, "--max-runs", "1");
        Assert.True(code == 0, error);
        var first = ExperimentResults.LoadOrEmpty(plan.Results, "");
        Assert.Equal(["tiny-coded-7"], first.Runs.Select(r => r.Name));
        Assert.Contains("1 of 2 runs recorded", output);

        (code, output, error) = CrxProcess.Run(tmp.Path, "experiment", file);
        Assert.True(code == 0, error);
        Assert.Contains("tiny-coded-7: recorded in", output);
        var results = ExperimentResults.LoadOrEmpty(plan.Results, "");
        Assert.Equal(["tiny-coded-7", "tiny-control-7"], results.Runs.Select(r => r.Name));
        Assert.Equal(first.Runs[0], results.Runs[0] with { }, new FiguresComparer());

        var coded = results.Runs[0];
        Assert.NotEmpty(coded.CodedBlockIndices);
        Assert.Equal(coded.CodedBlockIndices.Count, coded.EarlyDecoders.Count);
        Assert.NotNull(coded.Removal);
        Assert.Equal(10, coded.BinaryClassifiers.Count);
        Assert.Equal(10, coded.PerClassAccuracy.Count);
        Assert.True(coded.TrainSeconds > 0 && coded.ImagesPerSecond > 0);
        Assert.StartsWith("crx train --dataset fashion-mnist", coded.TrainCommand);
        Assert.EndsWith($"--out {plan.RunDirectory(plan.Runs[0])}", coded.TrainCommand);
        var paired = Assert.Single(results.Aggregates.Paired);
        Assert.Equal(coded.Top1 - results.Runs[1].Top1, paired.Differences[0], 1e-12);

        string report = File.ReadAllText(plan.Report);
        Assert.Contains("## Headline", report);
        Assert.Contains("| tiny | coded |", report);
        Assert.Contains("a published network", report);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(tmp.Path, "docs", "results"), "*.png").Length);

        // Finished runs are skipped: the results file is not rewritten.
        byte[] before = File.ReadAllBytes(plan.Results);
        (code, output, error) = CrxProcess.Run(tmp.Path, "experiment", file);
        Assert.True(code == 0, error);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains("skipped")));
        Assert.Equal(before, File.ReadAllBytes(plan.Results));

        // The recorded command, trained again elsewhere, gives the recorded top-1 exactly.
        string again = tmp["again"];
        (code, _, error) = CrxProcess.Run(tmp.Path, ["train", .. plan.Runs[0].Train, "--out", again]);
        Assert.True(code == 0, error);
        Assert.Equal(coded.Top1, Checkpoint.ReadInfo(Path.Combine(again, "last.ckpt")).State.Metrics.ValidationTop1);
    }

    [Theory]
    [InlineData("twice", "is listed twice")]
    [InlineData("out", "--out is set by the experiment")]
    [InlineData("variant", "variant control but --control is not among its train flags")]
    [InlineData("seed", "its train flags must say --seed 7")]
    public void A_bad_experiment_file_is_refused_in_one_line_naming_the_file(string fault, string problem)
    {
        using var tmp = new TempDirectory();
        var plan = Plan(tmp.Path, "fashion-tiny");
        var run = plan.Runs[0];
        plan = fault switch
        {
            "twice" => plan with { Runs = [run, run] },
            "out" => plan with { Runs = [run with { Train = [.. run.Train, "--out", "x"] }] },
            "variant" => plan with { Runs = [run with { Variant = "control" }] },
            _ => plan with { Runs = [run with { Train = run.Train.Where(a => a != "--seed" && a != "7").ToList() }] },
        };
        string file = tmp["experiment.json"];
        File.WriteAllText(file, JsonSerializer.Serialize(plan, ExperimentPlan.Json));

        var (code, _, error) = CrxProcess.Run(tmp.Path, "experiment", file);
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(file, error);
        Assert.Contains(problem, error);
        Assert.False(Directory.Exists(plan.RunsDirectory), "nothing is trained from a bad file");
    }

    private sealed class FiguresComparer : IEqualityComparer<RunFigures>
    {
        public bool Equals(RunFigures? x, RunFigures? y) => x!.Name == y!.Name && x.Top1 == y.Top1 && x.TrainCommand == y.TrainCommand && x.FinishedAt == y.FinishedAt;
        public int GetHashCode(RunFigures obj) => 0;
    }
}
