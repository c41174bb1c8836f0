using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Network;

/// <summary>Channels-last activations (CodedResNeXtNetwork.ChannelsLast) change the memory order, not the function.</summary>
public class ChannelsLastTests
{
    [Fact]
    public void The_blocks_get_channels_last_activations_also_from_a_grayscale_stem()
    {
        // One input channel: both memory orders of the images are the same, so the stem's output is reordered itself.
        var architecture = TinyNetworks.Architecture() with { InputChannels = 1, Stem = new StemSpec(1, 8, 3, 1, MaxPool: false) };
        using var network = new CodedResNeXtNetwork(architecture, TinyNetworks.Schemes);
        using var gray = randn([2, 1, TinyNetworks.ImageSize, TinyNetworks.ImageSize], generator: new Generator(3));
        using var x = network.ForwardStem(gray);
        Assert.Equal(1, x.stride(1));
        Assert.Equal(x.shape[1], x.stride(3));

        network.ChannelsLast = false;
        using var first = network.ForwardStem(gray);
        Assert.True(first.is_contiguous());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Logits_energies_and_gradients_equal_the_channels_first_networks(bool training)
    {
        using var network = TinyNetworks.Network(pDrop: 0);
        TinyNetworks.Perturb(network);
        network.train(training);
        using var images = TinyNetworks.Images(6);
        using var labels = TinyNetworks.Labels(6);

        (Tensor Logits, Tensor[] Energies, Tensor[] Gradients) Run(bool channelsLast)
        {
            network.ChannelsLast = channelsLast;
            network.zero_grad();
            var output = network.call(images);
            nn.functional.cross_entropy(output.Logits, labels).backward();
            return (output.Logits.detach(), output.BlockEnergies.Select(e => e.detach()).ToArray(),
                network.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        // Eval mode would leave the running statistics as they are; in training mode each pass moves them, so the
        // channels-first pass runs on a copy of the statistics the channels-last pass started from.
        var buffers = network.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        var last = Run(channelsLast: true);
        using (no_grad())
            foreach (var (name, buffer) in network.named_buffers()) buffer.copy_(buffers[name]);
        var first = Run(channelsLast: false);

        Assert.True(TinyNetworks.MaxRelativeDifference(first.Logits, last.Logits) < 1e-5);
        for (int b = 0; b < first.Energies.Length; b++)
            Assert.True(TinyNetworks.MaxRelativeDifference(first.Energies[b], last.Energies[b]) < 1e-5, $"coded block {b}'s energies");
        for (int i = 0; i < first.Gradients.Length; i++)
            Assert.True(TinyNetworks.MaxRelativeDifference(first.Gradients[i], last.Gradients[i]) < 1e-4, $"parameter {i}'s gradient");
    }
}
