using CodedResNeXt.Evaluation;
using CodedResNeXt.Analysis;
using ScottPlot;

namespace CodedResNeXt.Report;

/// <summary>
/// The path one image took: its subNN energies in every coded block (one row per block), with the subNNs that the
/// codeword of its true class activates marked by dots, so a path that follows its codeword is seen at a glance.
/// </summary>
internal static class PathEnergyFigure
{
    public static ReportFigure Draw(ImagePath path, IReadOnlyList<int> blockIndices, IReadOnlyList<BlockEnergyProfile> profiles,
        string fileName, string altText)
    {
        int blocks = path.Energies.Count;
        int subNNs = path.Energies.Max(e => e.Count);
        var plot = PlotRendering.NewPlot();
        var heatmap = EnergyGrid.Add(plot, path.Energies, subNNs);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "energy";

        var xs = new List<double>();
        var ys = new List<double>();
        for (int b = 0; b < blocks && b < profiles.Count; b++)
        {
            var codewords = profiles[b].Codewords;
            if (path.Label < 0 || path.Label >= codewords.Count) continue;
            string word = codewords[path.Label];
            for (int n = 0; n < word.Length; n++)
                if (word[n] == '1')
                {
                    xs.Add(n);
                    ys.Add(EnergyGrid.RowPosition(b, blocks));
                }
        }
        if (xs.Count > 0)
        {
            plot.Add.Markers(xs.ToArray(), ys.ToArray(), MarkerShape.FilledCircle, 6, PlotRendering.Orange);
            plot.Title("dots: the label's codeword", 12);
        }

        PlotRendering.SetTicks(plot.Axes.Left, Enumerable.Range(0, blocks).Select(b =>
            (EnergyGrid.RowPosition(b, blocks), "block " + (b < blockIndices.Count ? blockIndices[b] : b).ToString())));
        if (subNNs <= 40)
            PlotRendering.SetTicks(plot.Axes.Bottom, Enumerable.Range(0, subNNs).Select(n => ((double)n, n.ToString())));
        plot.XLabel("subNN");
        int height = 90 + 30 * blocks + (xs.Count > 0 ? 24 : 0);
        return PlotRendering.Render(plot, fileName, altText, 420, height);
    }
}
