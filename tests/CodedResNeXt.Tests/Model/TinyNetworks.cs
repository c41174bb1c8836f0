using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model;

/// <summary>Tiny architectures (C_out 8-16, d 2, N 4, 8x8 images, 4 classes) and their schemes, for fast tests.</summary>
internal static class TinyNetworks
{
    public const int Classes = 4, SubNNs = 4, D = 2, ImageSize = 8;

    public static CodingSchemeSet Schemes { get; } = CodingSchemeSet.Of(
        CodingScheme.Parse("t/2/4", ["1100", "0110", "0011", "1001"]),
        CodingScheme.Parse("t/1/4", ["1000", "0100", "0010", "0001"]),
        CodingScheme.Parse("k3/2/4", ["1100", "0110", "0011"]),
        CodingScheme.Parse("t/2/5", ["11000", "01100", "00110", "00011"]));

    /// <summary>
    /// stem 3->8; block 0 uncoded [8, 2, 4/4]; blocks 1-2 coded t/2/4 (block 1: stride 2, projection 8->16);
    /// block 3 coded t/1/4 (a new scheme: a new drop mask); block 4 coded t/1/4 again.
    /// </summary>
    public static ArchitectureSpec Architecture(double pDrop = 0.1) => new("tiny", Classes, 3, ImageSize,
        new StemSpec(3, 8, 3, 1, MaxPool: false),
        [
            new BlockSpec("c2", 8, 8, D, SubNNs, 1),
            new BlockSpec("c3", 8, 16, D, SubNNs, 2, "t/2/4", pDrop),
            new BlockSpec("c3", 16, 16, D, SubNNs, 1, "t/2/4", pDrop),
            new BlockSpec("c4", 16, 16, D, SubNNs, 1, "t/1/4", pDrop),
            new BlockSpec("c4", 16, 16, D, SubNNs, 1, "t/1/4", pDrop),
        ]);

    public static CodedResNeXtNetwork Network(double pDrop = 0.1, BlockImplementation implementation = BlockImplementation.Fused) =>
        new(Architecture(pDrop), Schemes, implementation);

    public static Tensor Images(int batch, long seed = 1) =>
        randn([batch, 3, ImageSize, ImageSize], generator: new Generator((ulong)seed));

    public static Tensor Labels(int batch) => arange(batch, dtype: ScalarType.Int64) % Classes;

    /// <summary>Gives every BN non-trivial affine parameters and statistics, and bn_expand a non-zero gamma,
    /// so that the coded branches matter (they start at gamma 0).</summary>
    public static void Perturb(nn.Module network, long seed = 7)
    {
        var g = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (name, t) in network.state_dict())
        {
            if (name.EndsWith("num_batches_tracked")) continue;
            if (name.Contains("bn") && name.EndsWith("weight")) t.copy_(rand(t.shape, generator: g) + 0.5);
            else if (name.EndsWith("bias") || name.EndsWith("running_mean")) t.copy_(randn(t.shape, generator: g) * 0.1);
            else if (name.EndsWith("running_var")) t.copy_(rand(t.shape, generator: g) + 0.5);
        }
    }

    public static double MaxRelativeDifference(Tensor expected, Tensor actual)
    {
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-12);
        return (expected - actual).abs().max().item<float>() / scale;
    }
}
