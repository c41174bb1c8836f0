using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Analysis;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Analysis;

[Collection(TinyRunsCollection.Name)]
public class PartialForwardTests
{
    [Fact]
    public void The_pieces_in_order_compute_the_networks_forward_with_and_without_removal()
    {
        manual_seed(3);
        using var network = new CodedResNeXtNetwork(Synthetic.Architecture(), BuiltInSchemes.Get);
        network.eval();
        using var noGrad = no_grad();
        // At initialization every block's last BN has gamma 0, which would hide the residual branches (and any removal).
        foreach (var (name, p) in network.named_parameters())
            if (name.EndsWith("bn_expand.weight")) p.uniform_(0.5, 1.5);
        using var images = randn(5, 1, 8, 8);
        var forward = new PartialForward(network);
        Assert.Equal(4, forward.BlockCount);

        var energies = new List<Tensor>();
        var atBlock2 = forward.Blocks(forward.Stem(images), 0, 2, null, energies);
        var logits = forward.Logits(forward.Blocks(atBlock2, 2, 4, null, energies));
        var expected = network.call(images, null);
        Assert.True(logits.allclose(expected.Logits, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(3, energies.Count);
        for (int b = 0; b < 3; b++) Assert.True(energies[b].allclose(expected.BlockEnergies[b], rtol: 1e-5, atol: 1e-6));

        using var mask = tensor(Enumerable.Range(0, 50).Select(i => i % 3 == 0).ToArray(), [5, 10]);
        network.Removal = SubNNRemoval.InBlock(2, mask);
        var removedExpected = network.call(images, null).Logits;
        network.Removal = null;
        var removed = forward.Logits(forward.Blocks(atBlock2, 2, 4, new Dictionary<int, Tensor> { [2] = mask }));
        Assert.True(removed.allclose(removedExpected, rtol: 1e-5, atol: 1e-6));
        Assert.False(removed.allclose(logits, rtol: 1e-3, atol: 1e-4));
    }
}
