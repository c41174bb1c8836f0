using CodedResNeXt.Evaluation;
using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// One coded block's mean subNN energy per class as a heatmap [class x subNN]; a trained network's map should look
/// like its codeword table (energies are scaled to sum to N_act, so an active subNN tends to 1).
/// </summary>
internal static class EnergyHeatmapFigure
{
    /// <summary>Above this many rows or columns the axes get automatic numeric ticks instead of one label per row.</summary>
    const int MaxLabelledTicks = 40;

    public static string FileName(int block) => $"energy-block-{block}.png";

    public static ReportFigure Draw(BlockEnergyProfile profile, IReadOnlyList<string> classNames)
    {
        int classes = profile.MeanEnergyByClass.Count;
        int subNNs = profile.MeanEnergyByClass.Max(row => row.Count);
        var plot = PlotRendering.NewPlot();
        var heatmap = EnergyGrid.Add(plot, profile.MeanEnergyByClass, subNNs);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "mean energy";

        if (classes <= MaxLabelledTicks)
            PlotRendering.SetTicks(plot.Axes.Left, Enumerable.Range(0, classes)
                .Select(k => (EnergyGrid.RowPosition(k, classes), $"{k} {Names.Of(classNames, k)}")));
        if (subNNs <= MaxLabelledTicks)
            PlotRendering.SetTicks(plot.Axes.Bottom, Enumerable.Range(0, subNNs).Select(n => ((double)n, n.ToString())));

        plot.Title($"Block {profile.BlockIndex} ({profile.Scheme}): mean energy per class");
        plot.XLabel("subNN");
        plot.YLabel(classes <= MaxLabelledTicks ? "" : "class (first at the top)");
        int height = Math.Clamp(110 + 24 * classes, 300, 900);
        return PlotRendering.Render(plot, FileName(profile.BlockIndex),
            $"Mean subNN energy per class in block {profile.BlockIndex}", 560, height);
    }
}
