using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// Fig. 2b: one (recall, precision) point per class's binary classifier, scored against in-distribution negatives
/// and, where measured, against out-of-distribution negatives.
/// </summary>
internal static class PrecisionRecallFigure
{
    public const string FileName = "precision-recall.png";

    public static ReportFigure Draw(IReadOnlyList<BinaryClassifierResult> classifiers)
    {
        var plot = PlotRendering.NewPlot();
        var inDist = plot.Add.Markers(
            classifiers.Select(c => c.InDistribution.Recall).ToArray(),
            classifiers.Select(c => c.InDistribution.Precision).ToArray(),
            MarkerShape.FilledCircle, 9, PlotRendering.Blue.WithAlpha(0.8));
        inDist.LegendText = "in-distribution negatives";

        var ood = classifiers.Where(c => c.OutOfDistribution is not null).Select(c => c.OutOfDistribution!).ToList();
        if (ood.Count > 0)
        {
            var o = plot.Add.Markers(ood.Select(s => s.Recall).ToArray(), ood.Select(s => s.Precision).ToArray(),
                MarkerShape.OpenTriangleUp, 10, PlotRendering.Orange);
            o.MarkerLineWidth = 2;
            o.LegendText = "out-of-distribution negatives";
        }

        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.Title("Binary classifiers: one point per class");
        plot.XLabel("recall");
        plot.YLabel("precision");
        plot.ShowLegend(Alignment.LowerLeft);
        return PlotRendering.Render(plot, FileName, "Precision and recall of every class's binary classifier", 480, 460);
    }
}
