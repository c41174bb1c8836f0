using ScottPlot;
using SkiaSharp;

namespace CodedResNeXt.Report;

/// <summary>The look shared by every chart of the report, and turning a ScottPlot chart into a <see cref="ReportFigure"/>.</summary>
internal static class PlotRendering
{
    /// <summary>Pixels per CSS pixel in the PNG files.</summary>
    public const int Scale = 2;

    public static readonly Color Blue = Color.FromHex("#1f77b4");
    public static readonly Color Orange = Color.FromHex("#ff7f0e");
    public static readonly Color Green = Color.FromHex("#2ca02c");
    public static readonly Color Red = Color.FromHex("#d62728");
    public static readonly Color Gray = Color.FromHex("#444444");

    /// <summary>
    /// The sans-serif family charts are drawn in. ScottPlot on its own picks the first family it knows (DejaVu Serif
    /// on Debian), so we ask for a sans family that is actually installed. On Debian, DejaVu comes with
    /// fonts-dejavu-core, which fontconfig-config depends on (chromium pulls it in through libfontconfig1); headless,
    /// it renders without any display. With none of these families installed, ScottPlot's own choice stays.
    /// </summary>
    public static readonly string? FontFamily = PickFontFamily();

    static string? PickFontFamily()
    {
        var installed = SKFontManager.Default.GetFontFamilies().ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" }.FirstOrDefault(installed.Contains);
    }

    /// <summary>A new chart with the report's font.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        if (FontFamily is not null) plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>Renders <paramref name="plot"/> at <paramref name="width"/> x <paramref name="height"/> CSS pixels (PNG at <see cref="Scale"/>x).</summary>
    public static ReportFigure Render(Plot plot, string fileName, string altText, int width, int height)
    {
        using (plot)
        {
            plot.ScaleFactor = Scale;
            var png = plot.GetImageBytes(width * Scale, height * Scale, ImageFormat.Png);
            return new ReportFigure(fileName, altText, png, width, height);
        }
    }

    /// <summary>
    /// Two rendered charts side by side in one figure (each keeps its own axes), for a figure whose series live on
    /// scales too different to share one.
    /// </summary>
    public static ReportFigure SideBySide(string fileName, string altText, ReportFigure left, ReportFigure right)
    {
        using var a = SKBitmap.Decode(left.Png);
        using var b = SKBitmap.Decode(right.Png);
        using var surface = SKSurface.Create(new SKImageInfo(a.Width + b.Width, Math.Max(a.Height, b.Height)));
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.DrawBitmap(a, 0, 0);
        surface.Canvas.DrawBitmap(b, a.Width, 0);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return new ReportFigure(fileName, altText, png.ToArray(), left.Width + right.Width, Math.Max(left.Height, right.Height));
    }

    /// <summary>Shows exactly these labelled ticks on an axis.</summary>
    public static void SetTicks(IAxis axis, IEnumerable<(double Position, string Label)> ticks)
    {
        var t = ticks.ToArray();
        axis.SetTicks(t.Select(x => x.Position).ToArray(), t.Select(x => x.Label).ToArray());
    }
}
