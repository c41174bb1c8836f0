using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Network;

public class InitializationTests
{
    public static TheoryData<string> PresetNames => new(Presets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void Expand_weights_have_the_released_codes_std_in_coded_blocks_and_the_dense_one_in_uncoded_blocks(string preset)
    {
        var arch = Presets.Get(preset);
        AssertExpandStds(arch, seed: 3);
        Assert.Contains(arch.Blocks, b => b.IsCoded);
        var control = arch.ToControl();
        Assert.DoesNotContain(control.Blocks, b => b.IsCoded);
        AssertExpandStds(control, seed: 4);
    }

    private static void AssertExpandStds(ArchitectureSpec arch, ulong seed)
    {
        using var generator = new Generator(seed);
        using var network = new CodedResNeXtNetwork(arch, CodingSchemeSet.BuiltInsAndFiles, generator: generator);
        var state = network.state_dict();
        for (int i = 0; i < arch.Blocks.Count; i++)
        {
            var block = arch.Blocks[i];
            var weight = state[$"blocks.{i}.conv_expand.weight"];
            Assert.Equal([block.OutChannels, block.Width, 1L, 1L], weight.shape);
            // The released code's grouped conv_expand has fan_out N*C_out; its dense one (uncoded) C_out.
            double expected = Math.Sqrt(2.0 / (block.IsCoded ? block.SubNNs * block.OutChannels : block.OutChannels));
            // The sample std of n normals has a relative standard error 1/sqrt(2n); allow six of them.
            // The two candidate stds differ by sqrt(N) >= 3x, far outside the band.
            double band = 6 / Math.Sqrt(2.0 * weight.numel());
            double measured = weight.std().item<float>();
            Assert.True(Math.Abs(measured / expected - 1) < band,
                $"{arch.Name} block {i} ({(block.IsCoded ? "coded" : "uncoded")}): std {measured:G4}, expected {expected:G4} ± {band:P1}");
        }
    }
}
