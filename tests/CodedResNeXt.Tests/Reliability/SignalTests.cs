using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Item 10: SIGINT and SIGTERM sent to a real training process stop it after the current step with 130 / 143 and a
/// message, and resuming ends with the weights of a run that was never stopped.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SignalTests(ReliabilityRun fixture)
{
    private const int Epochs = 12;

    [Theory]
    [InlineData(RunningCrx.SigInt, 130, "SIGINT")]
    [InlineData(RunningCrx.SigTerm, 143, "SIGTERM")]
    public void A_signalled_run_stops_with_its_exit_code_and_resumes_to_the_uninterrupted_weights(int signal, int exitCode, string name)
    {
        string stopped = fixture.NewPath("signalled-");
        int code;
        string output, error;
        using (var crx = new RunningCrx(Path.GetTempPath(), fixture.TrainArgs(stopped, Epochs)))
        {
            crx.WaitFor((o, _) => o.Contains($"epoch 1/{Epochs}"), TimeSpan.FromMinutes(1), "first epoch");
            crx.Signal(signal);
            code = crx.WaitForExit(TimeSpan.FromMinutes(1));
            (output, error) = (crx.Output, crx.Error);
        }

        Assert.Equal(exitCode, code);
        Assert.Contains($"crx: interrupted by {name}", error);
        Assert.Contains("--resume", error);
        Assert.DoesNotContain("done", output);
        int done = Checkpoint.ReadInfo(Path.Combine(stopped, "last.ckpt")).State.Epoch;
        Assert.InRange(done, 1, Epochs - 1);
        Assert.Equal(done, MetricsLog.Read(Path.Combine(stopped, "metrics.jsonl")).Count);

        var (resumed, _, resumeError) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", stopped, "--resume", "--data-dir", fixture.DataDir);
        Assert.True(resumed == 0, resumeError);
        Assert.Equal(Uninterrupted.Value(fixture), ZipEntries.Read(Path.Combine(stopped, "last.ckpt"), "model.safetensors"));
    }

    /// <summary>The final weights of the same run, never stopped; trained once for both signals.</summary>
    private static class Uninterrupted
    {
        private static byte[]? _weights;

        public static byte[] Value(ReliabilityRun fixture)
        {
            if (_weights is not null) return _weights;
            string run = fixture.NewPath("straight-");
            var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), fixture.TrainArgs(run, Epochs));
            Assert.True(code == 0, error);
            return _weights = ZipEntries.Read(Path.Combine(run, "last.ckpt"), "model.safetensors");
        }
    }
}
