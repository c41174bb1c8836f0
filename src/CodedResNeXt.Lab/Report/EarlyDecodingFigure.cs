using CodedResNeXt.Evaluation;
using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// Fig. 4's view of early decoding: accuracy of each coded block used as a decoder, and how often it agrees with the
/// network's final prediction, against the final top-1 as a reference line.
/// </summary>
internal static class EarlyDecodingFigure
{
    public const string FileName = "early-decoding.png";

    public static ReportFigure Draw(EarlyDecodingResult early)
    {
        var plot = PlotRendering.NewPlot();
        double[] blocks = early.CodedBlockIndices.Select(b => (double)b).ToArray();

        var top1 = plot.Add.HorizontalLine(early.Top1, 2, PlotRendering.Gray, LinePattern.Dashed);
        top1.LegendText = $"final top-1 ({Format.Percent(early.Top1)})";

        var accuracy = plot.Add.Scatter(blocks, early.Accuracy.ToArray(), PlotRendering.Blue);
        accuracy.LegendText = "early-decoder accuracy";
        accuracy.LineWidth = 2;
        accuracy.MarkerSize = 8;

        var agreement = plot.Add.Scatter(blocks, early.AgreementWithFinal.ToArray(), PlotRendering.Orange);
        agreement.LegendText = "agreement with final prediction";
        agreement.LineWidth = 2;
        agreement.MarkerSize = 8;
        agreement.MarkerShape = MarkerShape.FilledSquare;
        agreement.LinePattern = LinePattern.Dotted;

        PlotRendering.SetTicks(plot.Axes.Bottom, early.CodedBlockIndices.Select(b => ((double)b, b.ToString())));
        plot.Axes.SetLimits(blocks.Min() - 0.5, blocks.Max() + 0.5, 0, 1.02);
        plot.Title("Early decoding per coded block");
        plot.XLabel("block index");
        plot.YLabel("fraction of validation images");
        plot.ShowLegend(Alignment.LowerRight);
        return PlotRendering.Render(plot, FileName,
            "Early-decoder accuracy and agreement with the final prediction per coded block, final top-1 as a dashed line", 640, 400);
    }
}
