using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Training;

public class GradientAccumulationTests
{
    private static TrainingRun Run(TrainingOptions options, string dir) => Synthetic.Run(options, dir);

    [Fact]
    public void Two_accumulated_micro_batches_give_the_mean_of_their_separate_gradients()
    {
        // No dropSubNNs, so the two networks draw nothing random and see the same function.
        var architecture = Synthetic.Architecture(pDrop: 0);
        var objective = new CodingObjective(Mu: 6);
        using var g1 = new Generator(3);
        using var accumulated = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: g1);
        using var g2 = new Generator(3);
        using var separate = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: g2);
        var data = Synthetic.Images(16, 5);
        var loader = BatchLoader.ForEvaluation(data, CodedResNeXt.Data.Normalization.Compute(data), 8);
        var batches = loader.Epoch(0).Select(b => b.ToTensors()).ToList();

        accumulated.train();
        accumulated.zero_grad();
        foreach (var (images, labels) in batches) TrainingStep.Backward(accumulated, objective, images, labels, accumulate: 2, running: null);

        separate.train();
        var sums = separate.parameters().Select(p => zeros_like(p)).ToList();
        foreach (var (images, labels) in batches)
        {
            separate.zero_grad();
            var output = separate.call(images);
            var loss = nn.functional.cross_entropy(output.Logits, labels) + objective.Mu * objective.Compute(separate, output, labels).Total;
            loss.backward();
            var grads = separate.parameters().Select(p => p.grad!).ToList();
            for (int i = 0; i < sums.Count; i++) sums[i].add_(grads[i]);
        }

        var got = accumulated.parameters().Select(p => p.grad!).ToList();
        Assert.Equal(sums.Count, got.Count);
        for (int i = 0; i < got.Count; i++)
            Assert.True(got[i].allclose(sums[i] / 2, rtol: 1e-4, atol: 1e-6), $"parameter {i}: accumulated gradient is not the mean of the two");
        // BN sees each micro-batch on its own: its running statistics moved twice in both networks alike.
        foreach (var (name, buffer) in accumulated.named_buffers())
            if (name.EndsWith("running_mean"))
                Assert.True(buffer.allclose(separate.named_buffers().First(b => b.name == name).buffer, rtol: 1e-5, atol: 1e-7), name);
    }

    [Fact]
    public void With_K_2_the_schedule_counts_half_as_many_optimizer_steps()
    {
        using var tmp = new TempDirectory();
        string arch = Synthetic.ArchitectureFile(tmp.Path);
        // 200 images in batches of 20: 10 micro-batches, so 10 steps at K = 1 and 5 at K = 2.
        var options = Synthetic.Training(arch, epochs: 1) with { LearningRate = 0.05, MinLearningRate = 0 };
        using var plainRun = new Trainer(Run(options, Path.Combine(tmp.Path, "k1"))).Run(resume: false);
        var plain = plainRun.History[0];
        using var halvedRun = new Trainer(Run(options with { Accumulate = 2 }, Path.Combine(tmp.Path, "k2"))).Run(resume: false);
        var halved = halvedRun.History[0];

        // The rate the last step used on a cosine of S steps to zero: 0.05 * (1 + cos(pi (S-1) / S)) / 2.
        static double LastRate(int steps) => 0.05 * (1 + Math.Cos(Math.PI * (steps - 1) / steps)) / 2;
        Assert.Equal(LastRate(10), plain.LearningRate, 1e-9);
        Assert.Equal(LastRate(5), halved.LearningRate, 1e-9);
        // Every micro-batch still counts in the epoch's figures.
        Assert.True(double.IsFinite(halved.TrainLoss) && halved.TrainLoss > 0);
    }

    [Fact]
    public void With_K_2_a_run_stopped_mid_epoch_resumes_to_the_same_weights_as_an_uninterrupted_one()
    {
        using var tmp = new TempDirectory();
        // 200 images, micro-batches of 20, K = 2: 5 optimizer steps an epoch; --max-steps 7 stops 2 steps into epoch 2,
        // after 4 of its micro-batches, which the resumed run must skip.
        var options = Synthetic.Training(Synthetic.ArchitectureFile(tmp.Path), epochs: 2) with { LearningRate = 0.05, Accumulate = 2 };
        var straight = Run(options, Path.Combine(tmp.Path, "straight"));
        new Trainer(straight).Run(resume: false).Dispose();

        var stopped = Synthetic.Run(options, Path.Combine(tmp.Path, "stopped"), maxSteps: 7);
        using (var result = new Trainer(stopped).Run(resume: false))
            Assert.Equal(7, result.StoppedAtStep);
        var state = Checkpoint.ReadInfo(stopped.LastCheckpointPath).State;
        Assert.Equal((1, 2), (state.Epoch, state.StepInEpoch));
        new Trainer(Run(options, stopped.Directory!)).Run(resume: true).Dispose();

        var (a, _) = Checkpoint.Load(straight.LastCheckpointPath);
        var (b, _) = Checkpoint.Load(stopped.LastCheckpointPath);
        using (a) using (b)
        {
            var sa = a.state_dict();
            var sb = b.state_dict();
            foreach (var key in sa.Keys)
                Assert.True(sa[key].equal(sb[key]).all().item<bool>(), $"{key} differs after resuming mid-epoch with K = 2");
        }
    }
}
