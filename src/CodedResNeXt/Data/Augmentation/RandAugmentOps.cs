namespace CodedResNeXt.Data.Augmentation;

/// <summary>The 14 operations of RandAugment, in torchvision's order.</summary>
internal enum RandAugmentOp
{
    /// <summary>Leaves the image as it is.</summary>
    Identity,
    /// <summary>Shears along x.</summary>
    ShearX,
    /// <summary>Shears along y.</summary>
    ShearY,
    /// <summary>Shifts along x.</summary>
    TranslateX,
    /// <summary>Shifts along y.</summary>
    TranslateY,
    /// <summary>Rotates about the centre.</summary>
    Rotate,
    /// <summary>Scales the brightness.</summary>
    Brightness,
    /// <summary>Scales the saturation (a no-op on grayscale).</summary>
    Color,
    /// <summary>Scales the contrast about the mean gray.</summary>
    Contrast,
    /// <summary>Sharpens or blurs.</summary>
    Sharpness,
    /// <summary>Keeps fewer bits per channel.</summary>
    Posterize,
    /// <summary>Inverts the pixels above a threshold.</summary>
    Solarize,
    /// <summary>Stretches each channel to the full range.</summary>
    AutoContrast,
    /// <summary>Equalizes each channel's histogram.</summary>
    Equalize,
}

/// <summary>
/// The RandAugment operations on uint8 [C,H,W] images, following torchvision's tensor semantics: geometric
/// ops sample with nearest neighbour and fill with 0; blends compute ratio*a + (1-ratio)*b, clamp to 0..255
/// and truncate; grayscale is 0.2989 R + 0.587 G + 0.114 B truncated to a byte. Per-value operations go
/// through a 256-entry table, so no op allocates per pixel. On one-channel images Color is the identity.
/// </summary>
internal static class RandAugmentOps
{
    /// <summary>
    /// Applies <paramref name="op"/> with its (already signed) magnitude: shear factor, translation in pixels,
    /// rotation in degrees counter-clockwise, enhancement delta (factor 1 + magnitude), posterize bits or
    /// solarize threshold; ignored by Identity, AutoContrast and Equalize.
    /// </summary>
    public static void Apply(ImageBuffer image, RandAugmentOp op, float magnitude)
    {
        switch (op)
        {
            case RandAugmentOp.Identity: break;
            case RandAugmentOp.ShearX: Affine(image, 1, magnitude, 0, 0, 1, 0); break;
            case RandAugmentOp.ShearY: Affine(image, 1, 0, 0, magnitude, 1, 0); break;
            case RandAugmentOp.TranslateX: Affine(image, 1, 0, -(int)magnitude, 0, 1, 0); break;
            case RandAugmentOp.TranslateY: Affine(image, 1, 0, 0, 0, 1, -(int)magnitude); break;
            case RandAugmentOp.Rotate: Rotate(image, magnitude); break;
            case RandAugmentOp.Brightness: Brightness(image, 1 + magnitude); break;
            case RandAugmentOp.Color: Saturation(image, 1 + magnitude); break;
            case RandAugmentOp.Contrast: Contrast(image, 1 + magnitude); break;
            case RandAugmentOp.Sharpness: Sharpness(image, 1 + magnitude); break;
            case RandAugmentOp.Posterize: Posterize(image, (int)magnitude); break;
            case RandAugmentOp.Solarize: Solarize(image, magnitude); break;
            case RandAugmentOp.AutoContrast: AutoContrast(image); break;
            case RandAugmentOp.Equalize: Equalize(image); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>Rotates counter-clockwise by <paramref name="degrees"/> about the image centre.</summary>
    public static void Rotate(ImageBuffer image, float degrees)
    {
        if (degrees == 0) return;
        double rad = degrees * Math.PI / 180, cos = Math.Cos(rad), sin = Math.Sin(rad);
        double cx = image.Width / 2.0, cy = image.Height / 2.0;
        // Inverse map: source = centre + R(-θ)·(target - centre) in y-down pixel coordinates.
        Affine(image, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy);
    }

    /// <summary>
    /// Resamples the image: output pixel centre (x, y) takes the input pixel containing
    /// (a x + b y + c, d x + e y + f), or 0 when that lies outside.
    /// </summary>
    public static void Affine(ImageBuffer image, double a, double b, double c, double d, double e, double f)
    {
        int h = image.Height, w = image.Width, plane = image.Plane, channels = image.Channels;
        var src = image.Pixels;
        var dst = image.Scratch(h, w);
        for (int y = 0; y < h; y++)
        {
            double py = y + 0.5;
            double sx = a * 0.5 + b * py + c, sy = d * 0.5 + e * py + f;
            for (int x = 0; x < w; x++, sx += a, sy += d)
            {
                int ix = (int)Math.Floor(sx), iy = (int)Math.Floor(sy), o = y * w + x;
                if ((uint)ix < (uint)w && (uint)iy < (uint)h)
                {
                    int s = iy * w + ix;
                    for (int ch = 0; ch < channels; ch++) dst[ch * plane + o] = src[ch * plane + s];
                }
                else
                    for (int ch = 0; ch < channels; ch++) dst[ch * plane + o] = 0;
            }
        }
        image.SwapScratch(h, w);
    }

    /// <summary>Multiplies every pixel by <paramref name="factor"/> (a blend with black), clamped to 0..255 and truncated.</summary>
    public static void Brightness(ImageBuffer image, float factor)
    {
        Span<byte> lut = stackalloc byte[256];
        for (int v = 0; v < 256; v++) lut[v] = Blend(v, 0, factor);
        Map(image.Pixels, lut);
    }

    /// <summary>Blends each pixel with the mean grayscale value of the whole image.</summary>
    public static void Contrast(ImageBuffer image, float factor)
    {
        float mean = GrayscaleMean(image);
        Span<byte> lut = stackalloc byte[256];
        for (int v = 0; v < 256; v++) lut[v] = Blend(v, mean, factor);
        Map(image.Pixels, lut);
    }

    /// <summary>Blends each pixel with its own grayscale value (torchvision's adjust_saturation).</summary>
    public static void Saturation(ImageBuffer image, float factor)
    {
        if (image.Channels != 3) return;
        var r = image.Channel(0);
        var g = image.Channel(1);
        var b = image.Channel(2);
        for (int i = 0; i < r.Length; i++)
        {
            byte gray = Gray(r[i], g[i], b[i]);
            r[i] = Blend(r[i], gray, factor);
            g[i] = Blend(g[i], gray, factor);
            b[i] = Blend(b[i], gray, factor);
        }
    }

    /// <summary>Blends with a 3x3 smoothed copy (centre weight 5, neighbours 1, /13); the border stays as is.</summary>
    public static void Sharpness(ImageBuffer image, float factor)
    {
        int h = image.Height, w = image.Width;
        if (h < 3 || w < 3) return;
        var src = image.Pixels;
        var dst = image.Scratch(h, w);
        src.CopyTo(dst);
        for (int ch = 0; ch < image.Channels; ch++)
        {
            var p = src.Slice(ch * image.Plane, image.Plane);
            var q = dst.Slice(ch * image.Plane, image.Plane);
            for (int y = 1; y < h - 1; y++)
                for (int x = 1; x < w - 1; x++)
                {
                    int i = y * w + x;
                    int sum = p[i - w - 1] + p[i - w] + p[i - w + 1] + p[i - 1] + 5 * p[i] + p[i + 1]
                              + p[i + w - 1] + p[i + w] + p[i + w + 1];
                    byte blurred = (byte)Math.Round(sum / 13.0, MidpointRounding.ToEven);
                    q[i] = Blend(p[i], blurred, factor);
                }
        }
        image.SwapScratch(h, w);
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of every value.</summary>
    public static void Posterize(ImageBuffer image, int bits)
    {
        byte mask = (byte)(0xFF << (8 - Math.Clamp(bits, 0, 8)));
        foreach (ref byte v in image.Pixels) v &= mask;
    }

    /// <summary>Inverts every value at or above <paramref name="threshold"/>.</summary>
    public static void Solarize(ImageBuffer image, float threshold)
    {
        Span<byte> lut = stackalloc byte[256];
        for (int v = 0; v < 256; v++) lut[v] = (byte)(v >= threshold ? 255 - v : v);
        Map(image.Pixels, lut);
    }

    /// <summary>Stretches each channel linearly so its minimum becomes 0 and its maximum 255.</summary>
    public static void AutoContrast(ImageBuffer image)
    {
        Span<byte> lut = stackalloc byte[256];
        for (int ch = 0; ch < image.Channels; ch++)
        {
            var plane = image.Channel(ch);
            int min = 255, max = 0;
            foreach (byte v in plane) { if (v < min) min = v; if (v > max) max = v; }
            if (max <= min) continue;
            float scale = 255f / (max - min);
            for (int v = 0; v < 256; v++) lut[v] = (byte)Math.Clamp((v - min) * scale, 0, 255);
            Map(plane, lut);
        }
    }

    /// <summary>Histogram equalization of each channel, with PIL's step rule (torchvision's equalize).</summary>
    public static void Equalize(ImageBuffer image)
    {
        Span<int> hist = stackalloc int[256];
        Span<byte> lut = stackalloc byte[256];
        for (int ch = 0; ch < image.Channels; ch++)
        {
            var plane = image.Channel(ch);
            hist.Clear();
            foreach (byte v in plane) hist[v]++;
            int last = 255;
            while (last > 0 && hist[last] == 0) last--;
            // The count of the highest occupied value does not take part in the step.
            int step = (plane.Length - hist[last]) / 255;
            if (step == 0) continue;
            int cumulative = 0;
            for (int v = 0; v < 256; v++)
            {
                lut[v] = (byte)Math.Min((cumulative + step / 2) / step, 255);
                cumulative += hist[v];
            }
            Map(plane, lut);
        }
    }

    private static void Map(Span<byte> values, ReadOnlySpan<byte> lut)
    {
        foreach (ref byte v in values) v = lut[v];
    }

    private static byte Blend(float a, float b, float ratio) => (byte)Math.Clamp(ratio * a + (1 - ratio) * b, 0, 255);

    private static byte Gray(byte r, byte g, byte b) => (byte)(0.2989f * r + 0.587f * g + 0.114f * b);

    /// <summary>The mean of the image's grayscale bytes (the channel itself when there is one channel).</summary>
    private static float GrayscaleMean(ImageBuffer image)
    {
        long sum = 0;
        if (image.Channels == 3)
        {
            var r = image.Channel(0);
            var g = image.Channel(1);
            var b = image.Channel(2);
            for (int i = 0; i < r.Length; i++) sum += Gray(r[i], g[i], b[i]);
        }
        else
            foreach (byte v in image.Channel(0)) sum += v;
        return (float)sum / image.Plane;
    }
}
