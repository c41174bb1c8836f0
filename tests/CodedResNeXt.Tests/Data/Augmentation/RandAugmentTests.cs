using CodedResNeXt.Data.Augmentation;
using static CodedResNeXt.Tests.Data.Augmentation.GeometricAugmentationTests;

namespace CodedResNeXt.Tests.Data.Augmentation;

public class RandAugmentTests
{
    private static ImageBuffer Rgb() => Image(3, 9, 11, (ch, y, x) => (37 * ch + 13 * y + 7 * x + (x * y) % 5) % 256);
    private static ImageBuffer Gray() => Image(1, 9, 11, (_, y, x) => (13 * y + 7 * x) % 256);

    // By name: the ops are internal, and a public test method cannot take an internal type.
    public static TheoryData<string> AllOps() => [.. Enum.GetNames<RandAugmentOp>()];

    [Theory]
    [MemberData(nameof(AllOps))]
    public void Every_op_keeps_the_shape_and_is_deterministic(string name)
    {
        var op = Enum.Parse<RandAugmentOp>(name);
        foreach (var make in new Func<ImageBuffer>[] { Rgb, Gray })
            foreach (int level in new[] { 0, 9, 30 })
                foreach (float sign in new[] { 1f, -1f })
                {
                    var a = make();
                    var b = make();
                    float m = RandAugment.MagnitudeOf(op, level, a.Height, a.Width) * (RandAugment.IsSigned(op) ? sign : 1);
                    RandAugmentOps.Apply(a, op, m);
                    RandAugmentOps.Apply(b, op, m);
                    Assert.Equal((make().Channels, 9, 11), (a.Channels, a.Height, a.Width));
                    Assert.Equal(a.ToArray(), b.ToArray());
                }
    }

    [Theory]
    [InlineData("ShearX")]
    [InlineData("ShearY")]
    [InlineData("TranslateX")]
    [InlineData("TranslateY")]
    [InlineData("Rotate")]
    [InlineData("Brightness")]
    [InlineData("Color")]
    [InlineData("Contrast")]
    [InlineData("Sharpness")]
    [InlineData("Identity")]
    public void Magnitude_zero_is_the_identity_for_signed_ops(string name)
    {
        var op = Enum.Parse<RandAugmentOp>(name);
        var image = Rgb();
        RandAugmentOps.Apply(image, op, RandAugment.MagnitudeOf(op, 0, 9, 11));
        Assert.Equal(Rgb().ToArray(), image.ToArray());
    }

    [Fact]
    public void Magnitude_bins_follow_torchvision()
    {
        Assert.Equal(30f, RandAugment.MagnitudeOf(RandAugmentOp.Rotate, 30, 32, 32), 5);
        Assert.Equal(4f, RandAugment.MagnitudeOf(RandAugmentOp.Rotate, 4, 32, 32), 5);
        Assert.Equal(0.15f, RandAugment.MagnitudeOf(RandAugmentOp.ShearX, 15, 32, 32), 5);
        Assert.Equal(0.12f, RandAugment.MagnitudeOf(RandAugmentOp.Brightness, 4, 32, 32), 5);
        Assert.Equal(150.0f / 331 * 64, RandAugment.MagnitudeOf(RandAugmentOp.TranslateX, 30, 32, 64), 4);
        Assert.Equal(150.0f / 331 * 32, RandAugment.MagnitudeOf(RandAugmentOp.TranslateY, 30, 32, 64), 4);
        // posterize bits: 8 - round(level / 7.5); solarize threshold 255 * (1 - level / 30).
        Assert.Equal(8f, RandAugment.MagnitudeOf(RandAugmentOp.Posterize, 2, 32, 32));
        Assert.Equal(7f, RandAugment.MagnitudeOf(RandAugmentOp.Posterize, 4, 32, 32));
        Assert.Equal(4f, RandAugment.MagnitudeOf(RandAugmentOp.Posterize, 30, 32, 32));
        Assert.Equal(221f, RandAugment.MagnitudeOf(RandAugmentOp.Solarize, 4, 32, 32), 4);
        Assert.Equal(0f, RandAugment.MagnitudeOf(RandAugmentOp.Solarize, 30, 32, 32), 4);
        Assert.False(RandAugment.IsSigned(RandAugmentOp.Solarize));
        Assert.True(RandAugment.IsSigned(RandAugmentOp.Rotate));
    }

    [Fact]
    public void Rotate_by_90_degrees_is_a_counter_clockwise_quarter_turn()
    {
        var image = Image(2, 6, 6, (ch, y, x) => ch * 100 + y * 6 + x);
        RandAugmentOps.Rotate(image, 90);
        // numpy rot90: out[y, x] = in[x, n - 1 - y].
        for (int ch = 0; ch < 2; ch++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++)
                    Assert.Equal(ch * 100 + x * 6 + (5 - y), At(image, ch, y, x));
    }

    [Fact]
    public void Translate_and_shear_move_pixels_as_specified_and_fill_with_zero()
    {
        var t = Image(1, 4, 8, (_, y, x) => 1 + y * 8 + x);
        RandAugmentOps.Apply(t, RandAugmentOp.TranslateX, 3.7f); // torchvision truncates to 3 pixels
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal(x < 3 ? 0 : 1 + y * 8 + x - 3, At(t, 0, y, x));

        // ShearX about the top-left corner: output centre (x + 1/2, y + 1/2) samples x + 1/2 + m (y + 1/2);
        // with m = 1/2 the rows y = 0..3 shift left by floor(y / 2 + 3/4) = 0, 1, 1, 2 pixels.
        var s = Image(1, 4, 8, (_, y, x) => 1 + y * 8 + x);
        RandAugmentOps.Apply(s, RandAugmentOp.ShearX, 0.5f);
        int[] shift = [0, 1, 1, 2];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal(x + shift[y] < 8 ? 1 + y * 8 + x + shift[y] : 0, At(s, 0, y, x));
    }

    [Fact]
    public void Color_ops_match_hand_computed_values()
    {
        var bright = Image(1, 1, 4, (_, _, x) => new[] { 0, 101, 200, 255 }[x]);
        RandAugmentOps.Apply(bright, RandAugmentOp.Brightness, -0.5f);
        Assert.Equal([0, 50, 100, 127], bright.ToArray());

        var post = Image(1, 1, 3, (_, _, x) => new[] { 255, 130, 7 }[x]);
        RandAugmentOps.Apply(post, RandAugmentOp.Posterize, 4);
        Assert.Equal([240, 128, 0], post.ToArray());

        var solar = Image(1, 1, 3, (_, _, x) => new[] { 10, 128, 200 }[x]);
        RandAugmentOps.Apply(solar, RandAugmentOp.Solarize, 128);
        Assert.Equal([10, 127, 55], solar.ToArray());

        var auto = Image(2, 1, 3, (ch, _, x) => ch == 0 ? new[] { 50, 100, 150 }[x] : 9);
        RandAugmentOps.Apply(auto, RandAugmentOp.AutoContrast, 0);
        Assert.Equal([0, 127, 255, 9, 9, 9], auto.ToArray()); // a constant channel is left alone

        // Contrast factor 0 paints the grayscale mean: gray of (100, 50, 0) = 29.89 + 29.35 = 59.24 -> 59.
        var contrast = Image(3, 1, 1, (ch, _, _) => new[] { 100, 50, 0 }[ch]);
        RandAugmentOps.Apply(contrast, RandAugmentOp.Contrast, -1f);
        Assert.Equal([59, 59, 59], contrast.ToArray());

        var color = Image(3, 1, 1, (ch, _, _) => new[] { 100, 50, 0 }[ch]);
        RandAugmentOps.Apply(color, RandAugmentOp.Color, -1f);
        Assert.Equal([59, 59, 59], color.ToArray());
    }

    [Fact]
    public void Color_is_the_identity_on_grayscale_images()
    {
        var image = Gray();
        RandAugmentOps.Apply(image, RandAugmentOp.Color, 0.9f);
        Assert.Equal(Gray().ToArray(), image.ToArray());
    }

    [Fact]
    public void Equalize_follows_the_PIL_step_rule()
    {
        // 512 pixels: 100 zeros, 100 ones, 100 twos, 212 threes. step = (512 - 212) / 255 = 1,
        // so value v maps to the count of smaller pixels: 0, 100, 200 and min(300, 255).
        var image = Image(1, 16, 32, (_, y, x) => (y * 32 + x) switch { < 100 => 0, < 200 => 1, < 300 => 2, _ => 3 });
        RandAugmentOps.Equalize(image);
        var expected = Image(1, 16, 32, (_, y, x) => (y * 32 + x) switch { < 100 => 0, < 200 => 100, < 300 => 200, _ => 255 });
        Assert.Equal(expected.ToArray(), image.ToArray());
    }

    [Fact]
    public void Sharpness_blends_with_the_smoothed_interior()
    {
        // A single bright pixel in the middle of a 3x3: smoothed centre = (5*130)/13 = 50.
        var image = Image(1, 3, 3, (_, y, x) => y == 1 && x == 1 ? 130 : 0);
        RandAugmentOps.Apply(image, RandAugmentOp.Sharpness, -1f); // factor 0: the smoothed image
        Assert.Equal([0, 0, 0, 0, 50, 0, 0, 0, 0], image.ToArray()); // the border is never smoothed
    }

    [Fact]
    public void RandAugment_is_deterministic_for_a_seed_and_varies_across_seeds()
    {
        IAugmentation ra = new RandAugment(3, 9);
        var outputs = new HashSet<string>();
        for (int seed = 0; seed < 20; seed++)
        {
            var a = Rgb();
            var b = Rgb();
            ra.Apply(a, new Random(seed));
            ra.Apply(b, new Random(seed));
            Assert.Equal(a.ToArray(), b.ToArray());
            outputs.Add(Convert.ToHexString(a.ToArray()));
        }
        Assert.True(outputs.Count > 15);

        var none = Rgb();
        ((IAugmentation)new RandAugment(0, 9)).Apply(none, new Random(1));
        Assert.Equal(Rgb().ToArray(), none.ToArray());
    }

    [Fact]
    public void Parse_reads_n_and_m_and_rejects_malformed_strings_naming_the_flag()
    {
        Assert.Equal(new RandAugment(3, 4), RandAugment.Parse("n3-m4"));
        Assert.Equal(new RandAugment(2, 10), RandAugment.Parse("N2-M10"));
        Assert.Equal(0, RandAugment.Parse("none").Ops);
        Assert.Equal("n1-m2", new RandAugment(1, 2).ToString());

        foreach (string bad in new[] { "3-4", "n3m4", "n3-m", "n-1-m4", "m4-n3", "" })
        {
            var e = Assert.Throws<InvalidInputException>(() => RandAugment.Parse(bad));
            Assert.Equal($"RandAugment: expected n<ops>-m<magnitude> such as n3-m4 (or none), got '{bad}'", e.Message);
        }
        var tooStrong = Assert.Throws<InvalidInputException>(() => RandAugment.Parse("n2-m31"));
        Assert.Equal("RandAugment: the magnitude in 'n2-m31' must be 0..30", tooStrong.Message);
    }
}
