using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

public class InitFromTests
{
    private static TrainingRun Run(TrainingOptions options, string dir) => Synthetic.Run(options, dir);

    private static Dictionary<string, Tensor> Parameters(string checkpoint)
    {
        var (network, _) = Checkpoint.Load(checkpoint);
        return network.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    [Fact]
    public void A_run_started_from_a_checkpoint_begins_with_its_weights_and_counts_its_own_epochs()
    {
        using var tmp = new TempDirectory();
        string arch = Synthetic.ArchitectureFile(tmp.Path);
        var first = Run(Synthetic.Training(arch, epochs: 1), tmp["first"]);
        new Trainer(first).Run(resume: false).Dispose();

        // At a learning rate of 1e-30 (0 is not a valid rate) every update is far below float32 resolution, so no
        // parameter moves and the second run ends with exactly the weights it started from.
        var frozen = Synthetic.Training(arch, epochs: 1) with { LearningRate = 1e-30, MinLearningRate = 0, WeightDecay = 0, Seed = 99 };
        var started = Synthetic.Run(frozen, tmp["started"], initFrom: first.LastCheckpointPath);
        new Trainer(started).Run(resume: false).Dispose();
        var fresh = Run(frozen, tmp["fresh"]);
        new Trainer(fresh).Run(resume: false).Dispose();

        var source = Parameters(first.LastCheckpointPath);
        var fromCheckpoint = Parameters(started.LastCheckpointPath);
        var fromScratch = Parameters(fresh.LastCheckpointPath);
        foreach (var (name, t) in source)
            Assert.True(t.eq(fromCheckpoint[name]).all().item<bool>(), $"{name} is not the checkpoint's");
        Assert.False(source["blocks.1.conv_reduce.weight"].eq(fromScratch["blocks.1.conv_reduce.weight"]).all().item<bool>());
        Assert.Equal(1, MetricsLog.Read(Path.Combine(started.Directory, "metrics.jsonl")).Single().Epoch);
    }

    [Fact]
    public void Another_architecture_is_refused_in_one_line_naming_both()
    {
        using var tmp = new TempDirectory();
        string arch = Synthetic.ArchitectureFile(tmp.Path);
        var first = Run(Synthetic.Training(arch, epochs: 1), tmp["first"]);
        new Trainer(first).Run(resume: false).Dispose();

        var control = Synthetic.Run(Synthetic.Training(arch, epochs: 1) with { Control = true }, tmp["control"], initFrom: first.LastCheckpointPath);
        var error = Assert.Throws<InvalidInputException>(() => InitialWeights.Check(first.LastCheckpointPath, control));
        Assert.Equal(nameof(TrainingSetup.InitFrom), error.Option);
        Assert.Equal($"{first.LastCheckpointPath} holds architecture 'tiny', the run trains 'tiny-control'; block 1 differs", error.Problem);
        Assert.Throws<InvalidInputException>(() => new Trainer(control).Run(resume: false));
        Assert.False(File.Exists(control.LastCheckpointPath));
    }
}
