using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

/// <summary>--max-steps: stopping after a number of optimizer steps, mid-epoch included, and resuming exactly.</summary>
public sealed class MaxStepsTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void A_run_stopped_mid_epoch_by_max_steps_resumes_to_the_same_weights_as_an_uninterrupted_one()
    {
        string root = _tmp["folder"];
        ImageFolders.Write(root, classes: 10, train: 4, val: 1, side: 20);
        var data = TrainingData.From(DatasetRegistry.Load("folder", new DatasetOptions { DataDir = root, ImageSize = 16 }), []);
        var options = TrainingOptions.For("folder", 16) with
        {
            Architecture = ImageFolders.ArchitectureFile(_tmp.Path, 16),
            Epochs = 2, BatchSize = 10, LearningRate = 0.05, WarmupEpochs = 0.5, Seed = 3,
        };
        TrainingRun Run(string name, int? maxSteps = null) =>
            new(options, data, _tmp[name], CodingSchemeSet.BuiltInsAndFiles) { Workers = 2, MaxSteps = maxSteps };

        var straight = Run("straight");
        using (var result = new Trainer(straight).Run(resume: false))
            Assert.Null(result.StoppedAtStep);

        // 4 steps an epoch: step 6 is in the middle of epoch 2.
        var stopped = Run("stopped", maxSteps: 6);
        using (var result = new Trainer(stopped).Run(resume: false))
        {
            Assert.Equal(6, result.StoppedAtStep);
            Assert.Single(result.History);
        }
        var state = Checkpoint.ReadInfo(stopped.LastCheckpointPath).State;
        Assert.Equal((1, 2), (state.Epoch, state.StepInEpoch));

        var resumed = Run("stopped");
        using (var result = new Trainer(resumed).Run(resume: true))
        {
            Assert.Equal(2, Assert.Single(result.History).Epoch);
            Assert.Null(result.StoppedAtStep);
        }

        var (a, _) = Checkpoint.Load(straight.LastCheckpointPath);
        var (b, _) = Checkpoint.Load(resumed.LastCheckpointPath);
        using (a) using (b)
        {
            var sa = a.state_dict();
            var sb = b.state_dict();
            Assert.Equal(sa.Keys, sb.Keys);
            foreach (var key in sa.Keys)
                Assert.True(sa[key].equal(sb[key]).all().item<bool>(), $"{key} differs after resuming mid-epoch");
        }
        Assert.Equal(2, MetricsLog.Read(Path.Combine(resumed.Directory, "metrics.jsonl")).Count);
    }
}
