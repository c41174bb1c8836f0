using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>Item 2: a diverging run stops and says so; non-finite weights never reach or leave a model file.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class DivergenceTests(ReliabilityRun fixture)
{
    [Fact]
    public void A_diverging_run_stops_naming_the_epoch_and_step_and_saves_nothing()
    {
        string run = fixture.NewPath("diverge-");
        string[] args = [.. fixture.TrainArgs(run, epochs: 2)];
        args[Array.IndexOf(args, "--lr") + 1] = "1e6";

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), args);

        Assert.Equal(3, code); // a training failure, not bad input
        string line = Assert.Single(error.Trim().Split('\n'));
        Assert.Matches(@"^crx: error: --lr: the loss became (NaN|-?Infinity|∞|-∞) at epoch 1, step \d+ of 10 .*try a lower learning rate$", line);
        Assert.DoesNotContain("done", output);
        Assert.False(File.Exists(Path.Combine(run, "last.ckpt")));
        Assert.False(File.Exists(Path.Combine(run, "best.ckpt")));
    }

    [Theory]
    [InlineData("--mu", "1e30", "mu 1E\\+30", "try a lower mu")]
    [InlineData("--weight-decay", "1e12", "weight decay 1E\\+12", "try a lower weight decay")]
    public void A_divergence_names_the_option_furthest_above_the_recipe_not_always_the_learning_rate(string flag, string value, string shown, string advice)
    {
        // Issue 31: at the recipe's learning rate, a mu of 10^30 diverged and the error said to lower --lr.
        string run = fixture.NewPath("diverge-");
        string[] args = [.. fixture.TrainArgs(run, epochs: 2), flag, value];

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), args);

        Assert.Equal(3, code);
        string line = Assert.Single(error.Trim().Split('\n'));
        Assert.Matches($@"^crx: error: {flag}: (the loss became .* \(learning rate [0-9.E+-]+, {shown}\)|after epoch \d+ the tensor .* holds non-finite values).*{advice}$", line);
    }

    [Fact]
    public void A_run_that_diverges_after_good_epochs_keeps_its_good_checkpoints()
    {
        string run = fixture.CopyRun();
        byte[] last = File.ReadAllBytes(Path.Combine(run, "last.ckpt")), best = File.ReadAllBytes(Path.Combine(run, "best.ckpt"));
        var data = TrainingData.From(DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = fixture.DataDir }), []);
        // The library takes any options on resume; the CLI refuses a changed --lr, so this is the only way to get here.
        var diverging = new TrainingRun(fixture.Options with { Epochs = 4, LearningRate = 1e6 }, data, run, CodingSchemeSet.BuiltInsAndFiles);

        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(diverging).Run(resume: true));

        Assert.Contains("at epoch 3", e.Message);
        Assert.Equal(last, File.ReadAllBytes(Path.Combine(run, "last.ckpt")));
        Assert.Equal(best, File.ReadAllBytes(Path.Combine(run, "best.ckpt")));
    }

    [Fact]
    public void A_checkpoint_with_non_finite_weights_is_refused_naming_the_file_and_the_tensor()
    {
        string damaged = fixture.NewPath("nan-") + ".ckpt";
        var tensors = SafeTensors.Load(new MemoryStream(ZipEntries.Read(fixture.Checkpoint, "model.safetensors")), "model.safetensors");
        string name = tensors.Keys.First(k => k.EndsWith("conv_reduce.weight"));
        tensors[name].view(-1)[3] = tensor(float.NaN);
        var bytes = new MemoryStream();
        SafeTensors.Save(bytes, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        ZipEntries.Replace(fixture.Checkpoint, damaged, "model.safetensors", bytes.ToArray());

        var e = Assert.Throws<InvalidInputException>(() => Checkpoint.Load(damaged));
        Assert.Contains(damaged, e.Message);
        Assert.Contains(name, e.Message);

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", damaged, "--data-dir", fixture.DataDir);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {e.Message}", Assert.Single(error.Trim().Split('\n')));
    }
}
