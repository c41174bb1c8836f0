using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Analysis;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Analysis;

public class SpecializationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_mask_removes_exactly_j_subNNs_of_the_requested_kind_for_each_image_class(bool active)
    {
        var scheme = BuiltInSchemes.Get("cifar10/3/10");
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 4, 4];
        int[] indices = [5, 17, 2, 40, 3, 11, 8, 9, 12, 1, 30, 31];
        int available = active ? 3 : 7;
        for (int j = 0; j <= available; j++)
        {
            bool[] mask = Specialization.RemovalMask(labels, indices, scheme, j, active, seed: 3);
            Assert.Equal(labels.Length * 10, mask.Length);
            for (int i = 0; i < labels.Length; i++)
            {
                var removed = Enumerable.Range(0, 10).Where(n => mask[i * 10 + n]).ToList();
                Assert.Equal(j, removed.Count);
                Assert.All(removed, n => Assert.Equal(active, scheme.IsActive(labels[i], n)));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Specialization.RemovalMask(labels, indices, scheme, available + 1, active, 3));
    }

    [Fact]
    public void The_mask_of_an_image_depends_on_the_seed_and_its_index_not_on_its_batch()
    {
        var scheme = BuiltInSchemes.Get("cifar10/5/10");
        bool[] Row(bool[] mask, int row) => mask.Skip(row * 10).Take(10).ToArray();
        var alone = Specialization.RemovalMask([4], [123], scheme, 2, true, seed: 9);
        var inBatch = Specialization.RemovalMask([1, 4, 7], [5, 123, 6], scheme, 2, true, seed: 9);
        Assert.Equal(alone, Row(inBatch, 1));

        // Same class, different images: the draws differ somewhere among 40 images (C(5,2) = 10 choices each).
        int[] sameClass = Enumerable.Repeat(4, 40).ToArray();
        var many = Specialization.RemovalMask(sameClass, Enumerable.Range(0, 40).ToArray(), scheme, 2, true, seed: 9);
        Assert.True(Enumerable.Range(1, 39).Any(i => !Row(many, i).SequenceEqual(Row(many, 0))));
        var otherSeed = Specialization.RemovalMask(sameClass, Enumerable.Range(0, 40).ToArray(), scheme, 2, true, seed: 10);
        Assert.NotEqual(many, otherSeed);
    }

    [Fact]
    public void The_default_block_is_the_papers()
    {
        // CIFAR: c2 = blocks 0-2, c3 = 3-5: the last block of c3. ImageNet: c2 0-2, c3 3-6, c4 7-12, c5 13-15: the second of c5.
        Assert.Equal(5, Specialization.DefaultBlock(Presets.Get("cifar10")));
        Assert.Equal(5, Specialization.DefaultBlock(Presets.Get("cifar100")));
        Assert.Equal(14, Specialization.DefaultBlock(Presets.Get("imagenet")));
        Assert.Equal(2, Specialization.DefaultBlock(Presets.Get("fashion-tiny")));
        Assert.Equal(5, Specialization.DefaultBlock(Presets.Get("fashion-small")));
        Assert.Equal(2, Specialization.DefaultBlock(Synthetic.Architecture()));
        Assert.Null(Specialization.DefaultBlock(Presets.Get("cifar10").ToControl()));
        Assert.Equal(8, Specialization.ResolveBlock(Presets.Get("cifar10"), 8));
    }

    [Fact]
    public void Block_out_of_range_or_uncoded_is_an_error_naming_the_flag()
    {
        var arch = Presets.Get("fashion-tiny");
        var high = Assert.Throws<InvalidInputException>(() => Specialization.ResolveBlock(arch, 5));
        Assert.Equal("Block: block 5 does not exist; fashion-tiny has blocks 0..4 (coded blocks: 1, 2, 3, 4)", high.Message);
        Assert.Throws<InvalidInputException>(() => Specialization.ResolveBlock(arch, -1));
        var control = Assert.Throws<InvalidInputException>(() => Specialization.ResolveBlock(arch.ToControl(), 1));
        Assert.Equal("Block: block 1 (c3) is not coded; the network has no coded block", control.Message);
    }
}
