using System.Text.RegularExpressions;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.Reliability;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Display;

/// <summary>
/// Every verb that draws live output, run in a pseudo-terminal as a person runs it (<see cref="Terminal"/>): stdout is
/// a terminal, so these take the interactive display path that redirected runs (the rest of the suite) never take.
/// Each exits 0 and its screen shows what it promises; Ctrl+C during training exits 130 and says how to resume.
/// </summary>
[Collection(TerminalCollection.Name)]
public sealed class TerminalTests(TerminalRun fixture)
{
    private static readonly TimeSpan Minutes = TimeSpan.FromMinutes(3);

    // A line Spectre.Console draws as a progress bar: the bar's glyphs and a percentage.
    private static bool HasBar(string screen) => screen.Split('\n').Any(l => l.Contains('━') && Regex.IsMatch(l, @"\d+%"));

    [Fact]
    public void Train_draws_a_bar_prints_a_progress_line_every_30_seconds_and_ctrl_c_saves_the_step_for_resume()
    {
        string run = fixture.NewPath("long-");
        int stoppedAt;
        using (var terminal = new Terminal(fixture.Work, fixture.LongTrainArgs(run)))
        {
            terminal.WaitFor(HasBar, Minutes, "a progress bar");
            // Over 30 seconds without a finished epoch: a printed line (no bar glyphs) says where training stands.
            string screen = terminal.WaitFor(s => PrintedProgressLine(s) is not null, TimeSpan.FromSeconds(75), "a progress line");
            Assert.Matches(@"^coded epoch 1/1 step \d+/\d+: loss [\d.]+ \(coding [\d.]+\)  train [\d.]+ %  \d+ img/s  lr ", PrintedProgressLine(screen));
            terminal.Interrupt();
            var (code, last) = terminal.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(code == 130, last);
            var message = Regex.Match(last, @"crx: interrupted by SIGINT: (\S+) holds epoch 1/1 at step (\d+); continue with crx train --out (\S+) --resume");
            Assert.True(message.Success, last);
            Assert.Equal(Path.Combine(run, "last.ckpt"), message.Groups[1].Value);
            stoppedAt = int.Parse(message.Groups[2].Value);
            Assert.Equal(stoppedAt, Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.StepInEpoch);
        }

        // --resume continues from that step, in the same epoch.
        using (var terminal = new Terminal(fixture.Work, "train", "--out", run, "--resume", "--data-dir", fixture.LongDataDir))
        {
            string screen = terminal.WaitFor(s => s.Contains("resuming") && HasBar(s), Minutes, "the resumed run's bar");
            terminal.WaitFor(s => BarStep(s) > stoppedAt + 5, Minutes, "steps after the saved one");
            terminal.Interrupt();
            var (code, last) = terminal.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(code == 130, last);
            Assert.True(Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.StepInEpoch > stoppedAt, last);
        }
    }

    [Fact]
    public void Quickstart_trains_both_networks_with_their_epoch_lines_and_prints_the_comparison()
    {
        string output = fixture.NewPath("quickstart-");
        // 80 columns, the width of a default terminal (and of `script`): the comparison must be readable there.
        using var terminal = new Terminal(80, fixture.Work, "quickstart", "--data-dir", fixture.DataDir, "--arch", fixture.Architecture,
            "--epochs", "2", "--threads", "1", "--out", output);
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        // Spectre.Console wraps a line longer than the terminal at a space, so any space may be a line break here.
        Assert.Matches(@"coded\s+epoch\s+2/2:\s+loss\s+[\d.]+\s+\(coding\s+[\d.]+\)\s+train\s+[\d.]+\s+%\s+val\s+top-1\s+[\d.]+\s+%\s+early\s+decoders", screen);
        Assert.Matches(@"control\s+epoch\s+2/2:\s+loss\s+[\d.]+", screen);
        Assert.Contains("Fashion-MNIST, same budget", screen);
        // Each figure is one row, both networks' values side by side, no cell wrapped.
        Assert.Matches(@"top-1\s*│\s*[\d.]+ %\s*│\s*[\d.]+ %\s*│", screen);
        Assert.Matches(@"early decoder, block \d+\s*│\s*[\d.]+ %\s*│\s*—\s*│", screen);
        Assert.True(File.Exists(Path.Combine(output, "comparison.json")));
    }

    [Fact]
    public void Sweep_trains_and_analyzes_each_value_and_prints_its_table()
    {
        string output = fixture.NewPath("sweep-");
        using var terminal = new Terminal(fixture.Work, "sweep", "--param", "mu", "--values", "0,6", "--dataset", "fashion-mnist",
            "--data-dir", fixture.DataDir, "--arch", fixture.Architecture, "--epochs", "1", "--batch", "20", "--flip", "false",
            "--threads", "1", "--seed", "7", "--out", output);
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        Assert.Contains("mu=0: training 1 epochs", screen);
        Assert.Matches(@"mu=6 epoch 1/1: loss", screen);
        Assert.Contains("sweep.json", screen);
    }

    [Fact]
    public void Experiment_trains_analyzes_and_records_a_run()
    {
        string root = fixture.NewPath("experiment-");
        Directory.CreateDirectory(root);
        string file = Path.Combine(root, "experiment.json");
        string train = string.Join(", ", new[]
        {
            "--dataset", "fashion-mnist", "--data-dir", fixture.DataDir, "--arch", fixture.Architecture, "--epochs", "1", "--batch", "20",
            "--flip", "false", "--threads", "1", "--seed", "7",
        }.Select(a => System.Text.Json.JsonSerializer.Serialize(a)));
        string analyze = string.Join(", ", new[] { "--data-dir", fixture.DataDir, "--threshold-samples", "100", "--threads", "1" }
            .Select(a => System.Text.Json.JsonSerializer.Serialize(a)));
        File.WriteAllText(file, $$"""
            {"name": "terminal", "runs_directory": "runs", "results": "results.json", "report": "report.md", "baselines": [],
             "runs": [{"name": "tiny-coded-7", "group": "tiny", "variant": "coded", "seed": 7, "train": [{{train}}], "analyze": [{{analyze}}]}]}
            """);
        using var terminal = new Terminal(root, "experiment", file);
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        Assert.Matches(@"coded epoch 1/1: loss", screen);
        Assert.Matches(@"tiny-coded-7: top-1 [\d.]+ ?%, recorded in", screen);
        Assert.True(File.Exists(Path.Combine(root, "report.md")));
    }

    [Fact]
    public void Analyze_draws_a_bar_per_pass_and_writes_its_report()
    {
        string output = fixture.NewPath("analyze-");
        using var terminal = new Terminal(fixture.Work, "analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir,
            "--out", output, "--threads", "1", "--batch", "64", "--threshold-samples", "100");
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        // The passes' bars stay on the screen, each at 100 %.
        Assert.True(screen.Split('\n').Count(l => l.Contains('━') && l.Contains("100%")) >= 2, screen);
        Assert.True(File.Exists(Path.Combine(output, "index.html")));
    }

    [Fact]
    public void Extract_prints_the_classifier_and_its_table()
    {
        string output = fixture.NewPath("extract-") + ".crxb";
        using var terminal = new Terminal(fixture.Work, "extract", "--checkpoint", fixture.Checkpoint, "--class", "1", "--out", output,
            "--data-dir", fixture.DataDir, "--threshold-samples", "100");
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        // Spectre.Console wraps the long first line at the terminal's width.
        Assert.True(Regex.Replace(screen, @"\s+", " ").Contains("classifier of 1 (Trouser)"), screen);
        Assert.Matches(@"parameters: [\d,]+ of [\d,]+", screen);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Codes_shows_the_packing_while_it_searches_then_the_scheme()
    {
        using var terminal = new Terminal(fixture.Work, "codes", "--classes", "10", "--subnns", "36", "--active", "18");
        terminal.WaitFor(s => s.Contains("packing codewords at minimum distance"), Minutes, "the packing status");
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        Assert.Contains("Coding scheme 18/36", screen);
        Assert.Matches(@"H_min reached +│ \d+", screen);
    }

    [Fact]
    public void A_short_bench_prints_its_table()
    {
        // 80 columns: the table has a row per figure, every variant's value side by side, no cell wrapped.
        using var terminal = new Terminal(80, fixture.Work, "bench", "--arch", fixture.Architecture, "--batch", "4", "--threads", "1",
            "--steps", "3", "--repeats", "1");
        var (code, screen) = terminal.WaitForExit(Minutes);
        Assert.True(code == 0, screen);
        Assert.Contains("coded/control: training", screen);
        Assert.Contains("bench: ", screen); // each measurement says when it starts
        Assert.Matches(@"│\s+coded\s+│\s+control\s+│\s+class 0\s+│\s+early exit\s+│", screen);
        Assert.Matches(@"│ train img/s\s+│\s+[\d.]+ ±\d+%\s+│\s+[\d.]+ ±\d+%\s+│\s+-\s+│\s+-\s+│", screen);
        Assert.Matches(@"│ infer img/s, B=4\s+│(\s+[\d.]+ ±\d+%\s+│){4}", screen);
        Assert.Matches(@"│ parameters\s+│(\s+[\d,]+\s+│){4}", screen);
    }

    /// <summary>A printed (not drawn) progress line of training, if the screen has one.</summary>
    private static string? PrintedProgressLine(string screen) =>
        screen.Split('\n').Select(l => l.TrimEnd()).FirstOrDefault(l => Regex.IsMatch(l, @"^coded epoch \d+/\d+ step \d+/\d+:") && !l.Contains('━'));

    /// <summary>The step the last bar on the screen shows (0 if none).</summary>
    private static int BarStep(string screen) =>
        screen.Split('\n').Where(l => l.Contains('━')).Select(l => Regex.Match(l, @" step (\d+)/")).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).LastOrDefault();
}
