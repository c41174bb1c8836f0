using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Tests.Data.Augmentation;

public class GeometricAugmentationTests
{
    /// <summary>A [c, h, w] image whose value at (ch, y, x) is f(ch, y, x).</summary>
    internal static ImageBuffer Image(int c, int h, int w, Func<int, int, int, int> f)
    {
        var pixels = new byte[c * h * w];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    pixels[(ch * h + y) * w + x] = (byte)f(ch, y, x);
        return ImageBuffer.From(pixels, c, h, w);
    }

    internal static byte At(ImageBuffer image, int ch, int y, int x) => image.Pixels[(ch * image.Height + y) * image.Width + x];

    private static ImageBuffer Distinct(int c = 3, int h = 6, int w = 7) => Image(c, h, w, (ch, y, x) => 1 + ch * 60 + y * 8 + x);

    [Fact]
    public void Flip_is_an_exact_mirror_of_every_channel()
    {
        var image = Distinct();
        new HorizontalFlip(Probability: 1).Apply(image, new Random(1));
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 7; x++)
                    Assert.Equal(1 + ch * 60 + y * 8 + (6 - x), At(image, ch, y, x));

        var untouched = Distinct();
        new HorizontalFlip(Probability: 0).Apply(untouched, new Random(1));
        Assert.Equal(Distinct().ToArray(), untouched.ToArray());
    }

    [Fact]
    public void Flip_happens_about_half_the_time()
    {
        var rng = new Random(7);
        int flips = 0;
        for (int i = 0; i < 2000; i++)
        {
            var image = Distinct(1, 1, 2);
            new HorizontalFlip().Apply(image, rng);
            if (At(image, 0, 0, 0) != 1) flips++;
        }
        Assert.InRange(flips, 900, 1100);
    }

    [Theory]
    [InlineData(2, -1)]
    [InlineData(-4, 3)]
    [InlineData(0, 4)]
    public void Shift_moves_content_and_fills_zeros(int dx, int dy)
    {
        var image = Distinct();
        PaddedRandomCrop.Shift(image, dx, dy);
        Assert.Equal((3, 6, 7), (image.Channels, image.Height, image.Width));
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 7; x++)
                {
                    int sx = x + dx, sy = y + dy;
                    int expected = sx is >= 0 and < 7 && sy is >= 0 and < 6 ? 1 + ch * 60 + sy * 8 + sx : 0;
                    Assert.Equal(expected, At(image, ch, y, x));
                }
    }

    [Fact]
    public void Padded_crop_keeps_the_shape_and_is_a_shift_within_the_padding()
    {
        var rng = new Random(3);
        var seen = new HashSet<(int, int)>();
        for (int trial = 0; trial < 300; trial++)
        {
            var image = Distinct(1, 12, 12);
            new PaddedRandomCrop(4).Apply(image, rng);
            Assert.Equal((1, 12, 12), (image.Channels, image.Height, image.Width));
            // The pixel that was at (5, 5) has value 1 + 5*8 + 5; find where it went.
            int value = 1 + 5 * 8 + 5;
            int index = image.Pixels.IndexOf((byte)value);
            int dy = 5 - index / 12, dx = 5 - index % 12;
            Assert.InRange(dx, -4, 4);
            Assert.InRange(dy, -4, 4);
            var expected = Distinct(1, 12, 12);
            PaddedRandomCrop.Shift(expected, dx, dy);
            Assert.Equal(expected.ToArray(), image.ToArray());
            seen.Add((dx, dy));
        }
        Assert.True(seen.Count > 60, $"only {seen.Count} of the 81 shifts were drawn");
    }

    [Fact]
    public void Random_resized_crop_produces_the_requested_size_deterministically()
    {
        var crop = new RandomResizedCrop(8);
        var a = Distinct(3, 20, 30);
        var b = Distinct(3, 20, 30);
        crop.Apply(a, new Random(11));
        crop.Apply(b, new Random(11));
        Assert.Equal((3, 8, 8), (a.Channels, a.Height, a.Width));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Equal((8, 8), crop.OutputSize(20, 30));

        var rng = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var (top, left, h, w) = crop.Window(20, 30, rng);
            Assert.True(top >= 0 && left >= 0 && top + h <= 20 && left + w <= 30 && h > 0 && w > 0);
            double ratio = (double)w / h;
            Assert.InRange(ratio, 0.5, 2.0);
        }
    }

    [Fact]
    public void Resize_of_the_whole_image_to_its_own_size_is_the_identity_and_a_2x_upscale_repeats_pixels_at_centres()
    {
        var image = Distinct(2, 4, 5);
        RandomResizedCrop.Resize(image, 0, 0, 4, 5, 4, 5);
        Assert.Equal(Distinct(2, 4, 5).ToArray(), image.ToArray());

        // A constant image stays constant at any size.
        var flat = Image(1, 5, 3, (_, _, _) => 77);
        RandomResizedCrop.Resize(flat, 1, 0, 3, 3, 7, 9);
        Assert.Equal((7, 9), (flat.Height, flat.Width));
        Assert.All(flat.ToArray(), v => Assert.Equal(77, v));
    }
}
