using CodedResNeXt;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using System.Text.Json;
using CodedResNeXt.Analysis;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Analysis;

[Collection(TinyRunsCollection.Name)]
public class SweepTests(TinyRuns runs)
{
    [Fact]
    public void Sweep_trains_one_run_per_value_writes_its_files_and_reuses_finished_runs()
    {
        using var tmp = new TempDirectory();
        string arch = Synthetic.ArchitectureFile(tmp.Path);
        string outDir = tmp["sweep"];
        string[] args =
        [
            "sweep", "--param", "mu", "--values", "0,6", "--dataset", "fashion-mnist", "--data-dir", runs.DataDir, "--arch", arch,
            "--epochs", "1", "--batch", "20", "--flip", "false", "--crop-padding", "0", "--threads", "1", "--seed", "7", "--out", outDir,
        ];
        var (code, errors) = CrxProcess.Run(args);
        Assert.True(code == 0, errors);

        var result = JsonSerializer.Deserialize<SweepResult>(File.ReadAllText(Path.Combine(outDir, "sweep.json")), AnalysisResultsFile.Json)!;
        Assert.Equal("mu", result.Parameter);
        Assert.Equal([0.0, 6.0], result.Points.Select(p => p.Value));
        foreach (var point in result.Points)
        {
            Assert.Equal(1, point.Epochs);
            Assert.Equal([1, 2, 3], point.CodedBlockIndices);
            Assert.Equal(3, point.EarlyDecoderAccuracy.Count);
            Assert.InRange(point.Top1, 0, 1);
            Assert.InRange(point.MeanBinaryF1, 0, 1);
            Assert.Equal(point.Value, Checkpoint.ReadInfo(Path.Combine(point.Run, "last.ckpt")).Options.Mu);
        }
        Assert.Equal(Path.Combine(outDir, "mu=6"), result.Points[1].Run);

        string[] table = File.ReadAllLines(Path.Combine(outDir, "sweep.md"));
        Assert.Equal(4, table.Length);
        Assert.StartsWith("| mu | top-1 | early decoder, block 1 |", table[0]);
        Assert.StartsWith("| 6 |", table[3]);
        byte[] png = File.ReadAllBytes(Path.Combine(outDir, "sweep.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));

        // Again: both runs are finished, so nothing is retrained.
        var written = File.GetLastWriteTimeUtc(Path.Combine(outDir, "mu=0", "last.ckpt"));
        var (again, againErrors) = CrxProcess.Run(args);
        Assert.True(again == 0, againErrors);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(outDir, "mu=0", "last.ckpt")));
    }

    [Fact]
    public void An_unfinished_run_is_resumed_and_a_run_with_other_options_is_refused()
    {
        using var tmp = new TempDirectory();
        var options = TinyRuns.Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 2);
        var data = TinyRuns.Data([]);
        var plan = new SweepPlan(SweepParameter.PDrop, [0.2], options, tmp["sweep"]);
        Assert.Equal(tmp["sweep/p-drop=0.2"], plan.RunDirectory(0.2));

        // Stop the run after its first epoch, as an interrupted sweep would leave it.
        var first = new TrainingRun(plan.OptionsFor(0.2), data, plan.RunDirectory(0.2), CodingSchemeSet.BuiltInsAndFiles);
        using (var stop = new CancellationTokenSource())
            new Trainer(first).Run(resume: false, epochDone: _ => stop.Cancel(), cancel: stop.Token).Dispose();
        Assert.Equal(1, first.EpochsDone());

        var calls = new List<bool>();
        var result = Sweep.Run(plan, data, null, (options, setup) => { calls.Add(setup.Resume); CodedResNeXtModel.Train(data, options, setup).Dispose(); },
            Sweep.CheapAnalysis(1));
        Assert.Equal([true], calls);
        Assert.Equal(2, result.Points.Single().Epochs);
        Assert.Equal(0.2, Checkpoint.ReadInfo(first.LastCheckpointPath).Options.PDrop);

        var other = plan with { Options = options with { LearningRate = 0.05 } };
        var refused = Assert.Throws<InvalidInputException>(() => Sweep.Run(other, data, null, (_, _) => { }, Sweep.CheapAnalysis(1)));
        Assert.Contains($"{plan.RunDirectory(0.2)} holds a run with other options", refused.Message);
    }

    [Fact]
    public void Parameters_and_values_are_parsed_strictly()
    {
        Assert.Equal(SweepParameter.LossExponent, Sweep.ParseParameter("loss-exponent"));
        Assert.Equal(SweepParameter.PDrop, Sweep.ParseParameter("p-drop"));
        Assert.StartsWith("Parameter: 'lr' is not a sweepable parameter", Assert.Throws<InvalidInputException>(() => Sweep.ParseParameter("lr")).Message);
        Assert.Equal([0, 0.1, 2], Sweep.ParseValues("0, 0.1,2"));
        Assert.Equal("Values: 'x' is not a number", Assert.Throws<InvalidInputException>(() => Sweep.ParseValues("1,x")).Message);
        Assert.Equal("Values: 2 is listed twice", Assert.Throws<InvalidInputException>(() => Sweep.ParseValues("2,1,2")).Message);
        Assert.Throws<InvalidInputException>(() => Sweep.ParseValues(" , "));
    }

    [Fact]
    public void The_markdown_table_has_a_row_per_value_in_order_with_every_early_decoder()
    {
        var result = new SweepResult("mu",
        [
            new SweepPoint(6, "r6", 3, 120, 0.9123, [1, 2], [0.5, 0.875], 0.8),
            new SweepPoint(0, "r0", 3, double.NaN, 0.9, [1, 2], [0.25, 0.5], double.NaN),
        ]);
        Assert.Equal(
            "| mu | top-1 | early decoder, block 1 | early decoder, block 2 | mean binary F1 | epochs | training |\n" +
            "|---:|---:|---:|---:|---:|---:|---:|\n" +
            "| 0 | 90.00 % | 25.00 % | 50.00 % | — | 3 | — |\n" +
            "| 6 | 91.23 % | 50.00 % | 87.50 % | 0.800 | 3 | 2.0 min |\n",
            Sweep.Markdown(result).Replace("\r\n", "\n"));
        Assert.Equal(0.875, result.Points[0].LastEarlyDecoderAccuracy);
    }
}
