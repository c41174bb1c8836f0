namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// The ImageNet training crop: a random window covering a fraction in [MinScale, MaxScale] of the area with
/// aspect ratio in [MinRatio, MaxRatio] (log-uniform), resized bilinearly to Size x Size. After 10 failed
/// draws it falls back to the largest centred window within the ratio bounds, as torchvision does.
/// </summary>
/// <param name="Size">the output side, in pixels</param>
/// <param name="MinScale">the smallest window, as a fraction of the image's area (0.08)</param>
/// <param name="MaxScale">the largest window, as a fraction of the image's area (1)</param>
/// <param name="MinRatio">the smallest width / height of the window (3/4)</param>
/// <param name="MaxRatio">the largest width / height of the window (4/3)</param>
internal sealed record RandomResizedCrop(int Size, double MinScale = 0.08, double MaxScale = 1.0,
    double MinRatio = 3.0 / 4.0, double MaxRatio = 4.0 / 3.0) : IAugmentation
{
    /// <summary>Always <see cref="Size"/> x <see cref="Size"/>.</summary>
    public (int Height, int Width) OutputSize(int height, int width) => (Size, Size);

    /// <summary>Cuts a random <see cref="Window"/> of <paramref name="image"/> and resizes it bilinearly to <see cref="Size"/> x <see cref="Size"/>, in place.</summary>
    public void Apply(ImageBuffer image, Random rng)
    {
        var (top, left, h, w) = Window(image.Height, image.Width, rng);
        Resize(image, top, left, h, w, Size, Size);
    }

    /// <summary>The crop window (top, left, height, width) for an image of the given size.</summary>
    public (int Top, int Left, int Height, int Width) Window(int height, int width, Random rng)
    {
        double area = (double)height * width;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * rng.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height)
                return (rng.Next(height - h + 1), rng.Next(width - w + 1), h, w);
        }
        double inRatio = (double)width / height;
        int fw = width, fh = height;
        if (inRatio < MinRatio) fh = (int)Math.Round(width / MinRatio);
        else if (inRatio > MaxRatio) fw = (int)Math.Round(height * MaxRatio);
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    /// <summary>Bilinear resize of the window (top, left, h, w) to outH x outW, with pixel centres aligned.</summary>
    public static void Resize(ImageBuffer image, int top, int left, int h, int w, int outH, int outW)
    {
        int srcW = image.Width, srcPlane = image.Plane, outPlane = outH * outW;
        Span<int> x0s = outW <= 1024 ? stackalloc int[outW] : new int[outW];
        Span<float> xf = outW <= 1024 ? stackalloc float[outW] : new float[outW];
        for (int ox = 0; ox < outW; ox++)
        {
            float sx = Math.Clamp((ox + 0.5f) * w / outW - 0.5f, 0, w - 1);
            int x0 = Math.Min((int)sx, w - 1);
            x0s[ox] = x0;
            xf[ox] = sx - x0;
        }
        var src = image.Pixels;
        var dst = image.Scratch(outH, outW);
        for (int oy = 0; oy < outH; oy++)
        {
            float sy = Math.Clamp((oy + 0.5f) * h / outH - 0.5f, 0, h - 1);
            int y0 = Math.Min((int)sy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float fy = sy - y0;
            for (int c = 0; c < image.Channels; c++)
            {
                var row0 = src.Slice(c * srcPlane + (top + y0) * srcW + left, w);
                var row1 = src.Slice(c * srcPlane + (top + y1) * srcW + left, w);
                var outRow = dst.Slice(c * outPlane + oy * outW, outW);
                for (int ox = 0; ox < outW; ox++)
                {
                    int x0 = x0s[ox], x1 = Math.Min(x0 + 1, w - 1);
                    float fx = xf[ox];
                    float a = row0[x0] + (row0[x1] - row0[x0]) * fx;
                    float b = row1[x0] + (row1[x1] - row1[x0]) * fx;
                    outRow[ox] = (byte)(a + (b - a) * fy + 0.5f);
                }
            }
        }
        image.SwapScratch(outH, outW);
    }
}
