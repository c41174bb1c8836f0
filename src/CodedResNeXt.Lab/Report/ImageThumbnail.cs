using SkiaSharp;

namespace CodedResNeXt.Report;

/// <summary>
/// A dataset image (uint8 [C, H, W], C = 1 grey or 3 RGB) as a PNG, enlarged by a whole factor with
/// nearest-neighbour sampling so that small images (28x28, 32x32) keep crisp pixels.
/// </summary>
internal static class ImageThumbnail
{
    /// <summary>Images are enlarged until their longer side reaches about this many CSS pixels.</summary>
    const int TargetSide = 128;

    public static ReportFigure Draw(int channels, int height, int width, IReadOnlyList<byte> pixels, string fileName, string altText)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"an image has {channels} channels; the report shows 1 (grey) or 3 (RGB)");
        if (height <= 0 || width <= 0) throw new ArgumentException($"an image of {height}x{width} pixels");
        if (pixels.Count != channels * height * width)
            throw new ArgumentException($"an image of {channels}x{height}x{width} has {pixels.Count} pixel values");

        using var original = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int plane = height * width;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                original.SetPixel(x, y, channels == 1
                    ? new SKColor(pixels[i], pixels[i], pixels[i])
                    : new SKColor(pixels[i], pixels[plane + i], pixels[2 * plane + i]));
            }

        int factor = Math.Max(1, TargetSide / Math.Max(height, width));
        int cssWidth = width * factor, cssHeight = height * factor;
        var info = new SKImageInfo(cssWidth * PlotRendering.Scale, cssHeight * PlotRendering.Scale, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var enlarged = original.Resize(info, new SKSamplingOptions(SKFilterMode.Nearest))
            ?? throw new InvalidOperationException("SkiaSharp could not resize a thumbnail");
        using var data = enlarged.Encode(SKEncodedImageFormat.Png, 100);
        return new ReportFigure(fileName, altText, data.ToArray(), cssWidth, cssHeight);
    }
}
