using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// Fig. 3: how one binary classifier's output is distributed over positives, in-distribution negatives and
/// out-of-distribution negatives, with its decision threshold. Each group is shown as the fraction of its own
/// images per bin, since negatives far outnumber positives.
/// </summary>
internal static class OutputHistogramFigure
{
    public static string FileName(int cls) => $"histogram-class-{cls}.png";

    public static ReportFigure Draw(BinaryClassifierResult c)
    {
        var plot = PlotRendering.NewPlot();
        Step(plot, c.Negatives, PlotRendering.Blue, "negatives");
        if (c.OodNegatives is not null) Step(plot, c.OodNegatives, PlotRendering.Orange, "OOD negatives");
        Step(plot, c.Positives, PlotRendering.Green, "positives");

        var threshold = plot.Add.VerticalLine(c.Threshold, 2, PlotRendering.Gray, LinePattern.Dashed);
        threshold.LegendText = $"threshold {Format.Number(c.Threshold, "0.##")}";

        plot.Axes.Margins(bottom: 0);
        plot.Title($"Class {c.Class}: {c.ClassName}");
        plot.XLabel($"logit {c.Class} with only its paths kept");
        plot.YLabel("fraction of the group's images");
        plot.ShowLegend(Edge.Bottom);
        return PlotRendering.Render(plot, FileName(c.Class), $"Output histograms of the binary classifier of class {c.Class}", 480, 380);
    }

    /// <summary>A histogram outline as a step line over the bin edges, lightly filled.</summary>
    static void Step(Plot plot, Histogram h, Color color, string label)
    {
        if (h.Counts.Count == 0) return;
        double total = Math.Max(1, h.Counts.Sum());
        double[] xs = Enumerable.Range(0, h.Counts.Count + 1).Select(i => h.Min + i * h.Width).ToArray();
        double[] ys = [.. h.Counts.Select(n => n / total), h.Counts[^1] / total];
        var s = plot.Add.ScatterLine(xs, ys, color);
        s.ConnectStyle = ConnectStyle.StepHorizontal;
        s.LineWidth = 2;
        s.FillY = true;
        s.FillYValue = 0;
        s.FillYColor = color.WithAlpha(0.2);
        s.LegendText = $"{label} ({Format.Count(h.Counts.Sum())})";
    }
}
