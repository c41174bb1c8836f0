using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Block;

/// <summary>The fused form against the materializing oracle: same weights, same drop masks, float32.</summary>
public class FusedVersusMaterializingTests
{
    private const double Tolerance = 1e-4;

    private sealed record Run(Tensor Logits, Tensor CodingLoss, Tensor[] Energies, Dictionary<string, Tensor> Gradients);

    private static Run Step(CodedResNeXtNetwork network, BlockImplementation implementation, Tensor x, Tensor labels)
    {
        network.Implementation = implementation;
        network.DropGenerator = new Generator(17); // the same masks in both runs
        network.zero_grad();
        var output = network.call(x);
        var coding = new CodingObjective(Mu: 6).Compute(network, output, labels).Total;
        var loss = nn.functional.cross_entropy(output.Logits, labels) + 6 * coding;
        loss.backward();
        var gradients = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return new Run(output.Logits.detach(), coding.detach(), output.BlockEnergies.Select(e => e.detach()).ToArray(), gradients);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Outputs_energies_coding_loss_and_gradients_agree(bool training)
    {
        using var network = TinyNetworks.Network(pDrop: 0.3);
        TinyNetworks.Perturb(network);
        network.train(training);
        var x = TinyNetworks.Images(12);
        var labels = TinyNetworks.Labels(12);

        var fused = Step(network, BlockImplementation.Fused, x, labels);
        var materializing = Step(network, BlockImplementation.Materializing, x, labels);

        Assert.True(TinyNetworks.MaxRelativeDifference(materializing.Logits, fused.Logits) < Tolerance);
        Assert.True(materializing.CodingLoss.item<float>() > 0);
        Assert.True(TinyNetworks.MaxRelativeDifference(materializing.CodingLoss, fused.CodingLoss) < Tolerance);
        Assert.Equal(4, fused.Energies.Length);
        for (int i = 0; i < fused.Energies.Length; i++)
            Assert.True(TinyNetworks.MaxRelativeDifference(materializing.Energies[i], fused.Energies[i]) < Tolerance);
        Assert.Equal(materializing.Gradients.Keys, fused.Gradients.Keys);
        foreach (var (name, g) in materializing.Gradients)
            Assert.True(TinyNetworks.MaxRelativeDifference(g, fused.Gradients[name]) < Tolerance, $"gradient of {name}");
        // The coded blocks' expand weights do get gradient from the coding loss and the task.
        Assert.True(fused.Gradients["blocks.2.conv_expand.weight"].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void A_single_block_agrees_with_a_given_drop_mask_and_per_sample_removal()
    {
        var spec = new BlockSpec("c3", 8, 16, 3, 4, 2, "t/2/4", 0.2);
        using var block = new ResNeXtBlock(spec, TinyNetworks.Schemes["t/2/4"], BlockImplementation.Fused);
        TinyNetworks.Perturb(block);
        var x = randn(6, 8, 7, 7);
        var labels = TinyNetworks.Labels(6);
        var mask = DropSubNNs.DrawMask(6, 4, 0.5, CPU, new Generator(2));
        var removed = rand(6, 4, generator: new Generator(4)).lt(0.3);
        var fused = block.call(new BlockInput(x, mask, removed));
        block.Implementation = BlockImplementation.Materializing;
        var materializing = block.call(new BlockInput(x, mask, removed));
        Assert.True(TinyNetworks.MaxRelativeDifference(materializing.Output, fused.Output) < Tolerance);
        Assert.True(TinyNetworks.MaxRelativeDifference(materializing.Energies!, fused.Energies!) < Tolerance);
    }
}
