using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// Fig. 2a: accuracy as j subNNs active for the image's class are removed, against removing j inactive ones;
/// both curves start at the untouched network (j = 0).
/// </summary>
internal static class SpecializationFigure
{
    public const string FileName = "specialization.png";

    public static ReportFigure Draw(SpecializationResult s)
    {
        var plot = PlotRendering.NewPlot();
        var active = Curve(s.Baseline, s.ActiveRemoved);
        var inactive = Curve(s.Baseline, s.InactiveRemoved);

        var a = plot.Add.Scatter(active.Xs, active.Ys, PlotRendering.Red);
        a.LegendText = "remove j active subNNs";
        a.LineWidth = 2;
        a.MarkerSize = 8;

        var i = plot.Add.Scatter(inactive.Xs, inactive.Ys, PlotRendering.Green);
        i.LegendText = "remove j inactive subNNs";
        i.LineWidth = 2;
        i.MarkerSize = 8;
        i.MarkerShape = MarkerShape.FilledSquare;

        int maxJ = Math.Max(s.ActiveRemoved.Count, s.InactiveRemoved.Count);
        PlotRendering.SetTicks(plot.Axes.Bottom, Enumerable.Range(0, maxJ + 1).Select(j => ((double)j, j.ToString())));
        plot.Axes.SetLimits(-0.3, maxJ + 0.3, 0, 1.02);
        plot.Title($"Specialization in block {s.BlockIndex} ({s.Scheme})");
        plot.XLabel("j (subNNs removed per image)");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.LowerLeft);
        return PlotRendering.Render(plot, FileName,
            $"Accuracy when removing j active or j inactive subNNs in block {s.BlockIndex}", 640, 400);
    }

    static (double[] Xs, double[] Ys) Curve(double baseline, IReadOnlyList<double> removed) =>
        (Enumerable.Range(0, removed.Count + 1).Select(j => (double)j).ToArray(), [baseline, .. removed]);
}
