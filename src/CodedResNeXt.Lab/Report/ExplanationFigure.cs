using CodedResNeXt.Prediction;
using SkiaSharp;

namespace CodedResNeXt.Report;

/// <summary>
/// One image's explanation as a PNG: the input as the network saw it, the saliency map of the class's path and of the
/// whole network, and per coded block the energies above the codewords of the predicted class and of the runner-up.
/// Drawn with SkiaSharp at <see cref="PlotRendering.Scale"/>x.
/// </summary>
internal static class ExplanationFigure
{
    const int Panel = 168, Gap = 16, Cell = 12, LabelWidth = 150, Margin = 12;
    static readonly SKColor Blue = new(0x1f, 0x77, 0xb4), Orange = new(0xff, 0x7f, 0x0e), Purple = new(0x94, 0x67, 0xbd);

    public static byte[] Draw(ModelExplanations document, ImageExplanation x)
    {
        int n = x.Blocks.Count == 0 ? 0 : x.Blocks.Max(b => b.Energies.Count);
        int panelCount = 1 + (x.Saliency is { } maps ? 1 + (maps.Full is null ? 0 : 1) + (maps.GradCam is null ? 0 : 1) : 3);
        int width = Math.Max(panelCount * Panel + (panelCount - 1) * Gap, LabelWidth + n * Cell) + 2 * Margin;
        int height = Margin + 20 + 18 + Panel + Gap + x.Blocks.Count * (22 + 3 * Cell + 8) + Margin;
        using var surface = SKSurface.Create(new SKImageInfo(width * PlotRendering.Scale, height * PlotRendering.Scale));
        var canvas = surface.Canvas;
        canvas.Scale(PlotRendering.Scale);
        canvas.Clear(SKColors.White);
        using var typeface = PlotRendering.FontFamily is { } family ? SKTypeface.FromFamilyName(family) : SKTypeface.Default;
        using var font = new SKFont(typeface, 12);
        using var bold = new SKFont(typeface, 14) { Embolden = true };
        using var ink = new SKPaint { Color = new SKColor(0x22, 0x22, 0x22), IsAntialias = true };

        var names = document.ClassNames;
        string title = x.Prediction.Prediction is { } p ? $"{Path.GetFileName(x.Image.File)}: {p.Name} ({p.Probability:P1})"
            : $"{Path.GetFileName(x.Image.File)}: " + string.Join(", ", x.Prediction.Decisions!.Select(d => $"{d.Name} {(d.Yes ? "yes" : "no")}"));
        float y = Margin + 14;
        canvas.DrawText(title, Margin, y, bold, ink);
        y += 20;

        var panels = new List<(string Caption, float[] Map, bool Image)>
        {
            ("input", x.Input.Select(b => b / 255f).ToArray(), true),
        };
        if (x.Saliency is { } s)
        {
            panels.Add(($"path of {s.Name}", s.Magnitude(), false));
            if (s.Full is not null) panels.Add(("whole network", s.Magnitude(full: true), false));
            if (s.GradCam is not null) panels.Add(($"Grad-CAM, block {s.GradCamBlock}", s.GradCam.ToArray(), false));
        }
        for (int i = 0; i < panels.Count; i++)
        {
            float left = Margin + i * (Panel + Gap);
            canvas.DrawText(panels[i].Caption, left, y, font, ink);
            using var bitmap = panels[i].Image ? InputBitmap(x.Input, document.InputChannels, document.ImageSize) : HeatBitmap(panels[i].Map, document.ImageSize);
            canvas.DrawBitmap(bitmap, new SKRect(left, y + 4, left + Panel, y + 4 + Panel), new SKPaint());
        }
        if (x.Saliency is null && x.SaliencyUnavailable is not null)
            canvas.DrawText("no saliency: ONNX Runtime computes no gradients here", Margin + Panel + Gap, y + Panel / 2f, font, ink);
        y += 4 + Panel + Gap;

        int predicted = x.Prediction.Prediction?.Class ?? -1;
        foreach (var b in x.Blocks)
        {
            canvas.DrawText($"block {b.BlockIndex}: votes {b.Vote.Name} ({b.Vote.Confidence:P0}), margin {b.Margin:F3}", Margin, y + 12, font, ink);
            y += 18;
            double max = Math.Max(b.ScaledEnergies.Max(), 1e-9);
            Row("energy", j => new SKColor(Blue.Red, Blue.Green, Blue.Blue, (byte)Math.Round(255 * Math.Clamp(b.ScaledEnergies[j] / max, 0, 1))));
            Row(names[predicted], j => b.PredictedCodeword[j] == '1' ? Orange : SKColors.White);
            Row(names[b.RunnerUpClass], j => b.RunnerUpCodeword[j] == '1' ? Purple : SKColors.White);
            y += 8;

            void Row(string label, Func<int, SKColor> color)
            {
                canvas.DrawText(label.Length > 22 ? label[..21] + "…" : label, Margin, y + Cell - 2, font, ink);
                using var border = new SKPaint { Color = new SKColor(0xdd, 0xdd, 0xdd), Style = SKPaintStyle.Stroke };
                for (int j = 0; j < b.Energies.Count; j++)
                {
                    var cell = new SKRect(Margin + LabelWidth + j * Cell, y, Margin + LabelWidth + (j + 1) * Cell, y + Cell);
                    using var fill = new SKPaint { Color = color(j) };
                    canvas.DrawRect(cell, fill);
                    canvas.DrawRect(cell, border);
                }
                y += Cell;
            }
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    static SKBitmap InputBitmap(byte[] pixels, int channels, int size)
    {
        var bitmap = new SKBitmap(size, size);
        int plane = size * size;
        for (int p = 0; p < plane; p++)
            bitmap.SetPixel(p % size, p / size, channels == 3
                ? new SKColor(pixels[p], pixels[plane + p], pixels[2 * plane + p])
                : new SKColor(pixels[p], pixels[p], pixels[p]));
        return bitmap;
    }

    // Black (0) to yellow (the map's largest value), as the page draws it.
    static SKBitmap HeatBitmap(float[] map, int size)
    {
        var bitmap = new SKBitmap(size, size);
        float max = map.Max();
        for (int p = 0; p < map.Length; p++)
        {
            float t = max > 0 ? map[p] / max : 0;
            bitmap.SetPixel(p % size, p / size, new SKColor((byte)Math.Round(255 * Math.Min(1, 2 * t)), (byte)Math.Round(255 * Math.Max(0, 2 * t - 1)),
                (byte)Math.Round(80 * (1 - t))));
        }
        return bitmap;
    }
}
