using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

public class TrainerTests
{
    // The shared synthetic recipe at a gentler rate, so short runs stay stable.
    private static TrainingOptions Options(string arch, int epochs) => Synthetic.Training(arch, epochs) with { LearningRate = 0.05 };

    private static TrainingRun Run(TrainingOptions options, string dir) => Synthetic.Run(options, dir);

    [Fact]
    public void Training_learns_the_synthetic_task_and_logs_every_epoch()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 6) with { LearningRate = 0.1 }, Path.Combine(tmp.Path, "run"));
        using var result = new Trainer(run).Run(resume: false);
        var history = result.History;

        Assert.Equal(6, history.Count);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss, $"loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
        Assert.True(history[^1].ValidationTop1 > 0.5, $"validation top-1 {history[^1].ValidationTop1}");
        Assert.Equal(3, history[^1].EarlyDecoderAccuracy.Count);
        Assert.Equal(3, history[^1].CodingLossPerBlock.Count);
        Assert.Equal(6, MetricsLog.Read(Path.Combine(run.Directory!, "metrics.jsonl")).Count);
        Assert.True(File.Exists(run.LastCheckpointPath));
        Assert.True(File.Exists(run.BestCheckpointPath));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run.Directory!, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        using var tmp = new TempDirectory();
        string arch = Synthetic.ArchitectureFile(tmp.Path);
        var straight = Run(Options(arch, epochs: 2), Path.Combine(tmp.Path, "straight"));
        new Trainer(straight).Run(resume: false).Dispose();

        // Stop after epoch 1 (a run of one epoch with the same schedule cannot stand in: its cosine is shorter),
        // by cancelling as soon as the first epoch is written.
        var stopped = Run(Options(arch, epochs: 2), Path.Combine(tmp.Path, "stopped"));
        using (var cancel = new CancellationTokenSource())
            new Trainer(stopped).Run(resume: false, epochDone: _ => cancel.Cancel(), cancel: cancel.Token).Dispose();
        Assert.Equal(1, Checkpoint.ReadInfo(stopped.LastCheckpointPath).State.Epoch);
        new Trainer(stopped).Run(resume: true).Dispose();

        var (a, _) = Checkpoint.Load(straight.LastCheckpointPath);
        var (b, _) = Checkpoint.Load(stopped.LastCheckpointPath);
        using (a) using (b)
        {
            var sa = a.state_dict();
            var sb = b.state_dict();
            Assert.Equal(sa.Keys, sb.Keys);
            foreach (var key in sa.Keys)
                Assert.True(sa[key].equal(sb[key]).all().item<bool>(), $"{key} differs after resume");
        }
        Assert.Equal(2, MetricsLog.Read(Path.Combine(stopped.Directory, "metrics.jsonl")).Count);
    }

    [Fact]
    public void The_last_validation_is_the_evaluation_of_the_last_checkpoint()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 2), Path.Combine(tmp.Path, "run"));
        using var result = new Trainer(run).Run(resume: false);
        var (network, _) = Checkpoint.Load(run.LastCheckpointPath);
        using (network)
        {
            // What crx quickstart reports instead of evaluating last.ckpt again: the same figures.
            var again = EvaluationResult.Measure(network, BatchLoader.ForEvaluation(run.Data.Validation, run.Data.Normalization, 256),
                run.Data.Validation.ClassCount);
            var last = result.LastEvaluation!;
            Assert.Equal(again.Classification.Top1, last.Classification.Top1);
            Assert.Equal(again.EarlyDecoding.Accuracy, last.EarlyDecoding.Accuracy);
            Assert.Equal(result.History[^1].ValidationTop1, last.Classification.Top1);
        }
    }

    [Fact]
    public void The_control_has_no_coded_block_and_no_coding_loss()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 2) with { Control = true }, Path.Combine(tmp.Path, "control"));
        using var result = new Trainer(run).Run(resume: false);
        var history = result.History;
        Assert.Empty(history[0].EarlyDecoderAccuracy);
        Assert.Equal(0, history[0].TrainCodingLoss);
        Assert.All(run.Architecture.Blocks, b => Assert.False(b.IsCoded));
    }

    [Fact]
    public void A_checkpoint_rebuilds_the_network_that_wrote_it()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 1), Path.Combine(tmp.Path, "run"));
        new Trainer(run).Run(resume: false).Dispose();
        var (network, info) = Checkpoint.Load(run.LastCheckpointPath);
        using (network)
        {
            Assert.Equal(run.Architecture.Blocks.Count, info.Architecture.Blocks.Count);
            Assert.Equal(["cifar10/3/10", "cifar10/5/10"], info.Model.Schemes.Keys.Order());
            Assert.Equal(BuiltInSchemes.Get("cifar10/5/10").ToStrings(), info.Model.Schemes["cifar10/5/10"]);
            Assert.Equal(10, info.ClassNames.Count);
            using var x = rand(3, 1, 8, 8);
            Assert.Equal(new long[] { 3, 10 }, network.call(x).Logits.shape);
        }
    }

    [Fact]
    public void Resume_without_a_checkpoint_and_a_mismatched_architecture_are_clear_errors()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 1), Path.Combine(tmp.Path, "none"));
        var e = Assert.Throws<InvalidInputException>(() => new Trainer(run).Run(resume: true));
        Assert.Equal((run.LastCheckpointPath, "does not exist"), (e.File, e.Problem));

        var wrong = Assert.Throws<InvalidInputException>(() => Run(Options("cifar10", epochs: 1), tmp.Path));
        Assert.Equal("Architecture", wrong.Option);
        Assert.Contains("1x8x8", wrong.Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_initial_weights_whatever_torch_global_generator_does()
    {
        using var tmp = new TempDirectory();
        var run = Run(Options(Synthetic.ArchitectureFile(tmp.Path), epochs: 1), tmp.Path);
        using var g1 = new Generator(5);
        using var a = run.CreateNetwork(g1);
        manual_seed(123);
        using var noise = rand(100); // moves the global generator
        using var g2 = new Generator(5);
        using var b = run.CreateNetwork(g2);
        foreach (var (name, t) in a.state_dict())
            Assert.True(t.equal(b.state_dict()[name]).all().item<bool>(), $"{name} differs");
    }
}
