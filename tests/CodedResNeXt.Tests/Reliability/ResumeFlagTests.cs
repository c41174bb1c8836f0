using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>Items 3 and 13: what --resume accepts, what it refuses, and which flag an error blames.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ResumeFlagTests(ReliabilityRun fixture)
{
    [Theory]
    [InlineData("--lr", "0.2", "0.1")]
    [InlineData("--mu", "3", "6")]
    [InlineData("--batch", "10", "20")]
    [InlineData("--seed", "8", "7")]
    [InlineData("--momentum", "0.5", "0.9")]
    [InlineData("--p-drop", "0.2", "0.1")]
    [InlineData("--flip", "true", "false")]
    [InlineData("--exclude-classes", "3", "none")]
    [InlineData("--control", null, "false")]
    [InlineData("--dataset", "mnist", "fashion-mnist")]
    [InlineData("--precision", "bf16", "fp32")]
    public void A_changed_training_flag_is_refused_naming_the_flag_and_both_values(string flag, string? value, string trained)
    {
        string run = fixture.CopyRun();
        string[] args = ["train", "--out", run, "--resume", "--data-dir", fixture.DataDir, "--epochs", "3", flag, .. value is null ? Array.Empty<string>() : [value]];

        var (code, error) = CrxProcess.Run(args);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {flag}: the run in {run} was trained with {trained}, not {value ?? "true"}; " +
                     "on --resume only --epochs (to extend the run) and --threads may change", Assert.Single(error.Trim().Split('\n')));
        Assert.Equal(ReliabilityRun.Epochs, MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Count);
    }

    [Fact]
    public void Flags_repeating_the_runs_values_are_accepted()
    {
        string run = fixture.CopyRun();
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--data-dir", fixture.DataDir,
            "--lr", "0.1", "--batch", "20", "--seed", "7", "--threads", "1", "--flip", "false");
        Assert.True(code == 0, error);
        Assert.Contains("nothing to do", output);
    }

    [Fact]
    public void More_epochs_on_resume_train_only_the_new_ones_on_the_cosine_over_the_new_total()
    {
        string run = fixture.CopyRun();
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--data-dir", fixture.DataDir,
            "--epochs", "3", "--threads", "1");

        Assert.True(code == 0, error);
        Assert.Contains("epoch 3/3", output);
        Assert.DoesNotContain("epoch 2/", output);
        var metrics = MetricsLog.Read(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal([1, 2, 3], metrics.Select(m => m.Epoch));
        Assert.Equal(3, Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).Options.Epochs);
        // 10 steps per epoch; the last step of epoch 3 is step 29 of a 30-step cosine from 0.1 to 0. Continuing the
        // finished 2-epoch cosine instead would train at its final rate, 0.
        double expected = 0.05 * (1 + Math.Cos(Math.PI * 29 / 30));
        Assert.InRange(metrics[2].LearningRate, expected * 0.999, expected * 1.001);
    }

    [Fact]
    public void Fewer_epochs_than_the_run_has_finished_are_refused()
    {
        string run = fixture.CopyRun();
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--data-dir", fixture.DataDir, "--epochs", "1");
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --epochs: the run in {run} has already finished 2 epochs; give at least 2 to resume it", error.Trim());
    }

    [Fact]
    public void Resume_of_a_folder_without_a_run_blames_resume()
    {
        string empty = fixture.NewPath("empty-");
        Directory.CreateDirectory(empty);
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", empty, "--resume");
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --resume: {empty} holds no run to continue (no last.ckpt); start one without --resume", error.Trim());
    }

    [Fact]
    public void Eval_of_a_folder_says_it_is_a_folder()
    {
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", fixture.RunDir);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {fixture.RunDir}: is a folder, not a model file", error.Trim());
    }
}
