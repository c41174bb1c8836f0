using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Model;

public class ComputeCostTests
{
    [Fact]
    public void Multiply_accumulates_are_counted_from_each_convolution_and_the_classifier()
    {
        var cost = ComputeCost.Of(Synthetic.Architecture());
        // Stem: 1 -> 8 channels, 3x3, on 8x8.
        Assert.Equal(1L * 8 * 9 * 64, cost.Stem);
        // Block 0: 8 -> 8, width 10 (10 subNNs of 1), stride 1 on 8x8, identity shortcut.
        Assert.Equal(8L * 10 * 64 + 10L * 1 * 9 * 64 + 10L * 8 * 64, cost.Blocks[0]);
        // Block 3: 16 -> 16, width 20 (10 subNNs of 2), stride 2: 4x4 in (block 1 halved the side), 2x2 out;
        // projection shortcut 16 -> 16 at 2x2.
        Assert.Equal(16L * 20 * 16 + 20L * 2 * 9 * 4 + 20L * 16 * 4 + 16L * 16 * 4, cost.Blocks[3]);
        Assert.Equal(16L * 10, cost.Head);
        Assert.Equal(cost.Stem + cost.Blocks.Sum() + cost.Head, cost.Total);
        Assert.Equal(cost.Stem + cost.Blocks[0] + cost.Blocks[1], cost.Through(1));
    }

    [Fact]
    public void The_cifar10_preset_costs_about_a_gigamac_per_image()
    {
        // ResNeXt-29 (10x11d) at 32x32; the issue measures ~4.45 GFLOP per training image (forward + backward ~ 3 forwards,
        // 2 FLOP per MAC), so the forward is about 0.74 GMAC.
        var cost = ComputeCost.Of(ArchitectureFile.LoadPresetOrFile("cifar10", CodingSchemeSet.BuiltInsAndFiles));
        Assert.InRange(cost.Total / 1e9, 0.6, 0.9);
    }
}
