using ScottPlot;
using ScottPlot.Plottables;

namespace CodedResNeXt.Report;

/// <summary>
/// Draws rows of subNN energies as a heatmap cell grid: row r at the top-down position <see cref="RowPosition"/>,
/// subNN n centred on x = n, on a white-to-blue scale from 0 to at least 1 (an active subNN's share).
/// Rows shorter than the widest (blocks with fewer subNNs) leave their missing cells blank.
/// </summary>
internal static class EnergyGrid
{
    public static Heatmap Add(Plot plot, IReadOnlyList<IReadOnlyList<double>> rows, int columns)
    {
        var cells = new double[rows.Count, columns];
        double max = 1;
        for (int r = 0; r < rows.Count; r++)
            for (int n = 0; n < columns; n++)
            {
                cells[r, n] = n < rows[r].Count ? rows[r][n] : double.NaN;
                // A class without images (held out of training) has NaN energies: drawn blank, not in the range.
                if (n < rows[r].Count && double.IsFinite(rows[r][n])) max = Math.Max(max, rows[r][n]);
            }
        var heatmap = plot.Add.Heatmap(cells);
        // ScottPlot's Blues runs from dark to light; reversed, an idle subNN is white and an active one dark blue.
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());
        heatmap.ManualRange = new ScottPlot.Range(0, max);
        heatmap.NaNCellColor = Colors.Transparent;
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows.Count - 0.5);
        return heatmap;
    }

    /// <summary>ScottPlot puts the heatmap's first row at the top: row r is centred on y = rows - 1 - r.</summary>
    public static double RowPosition(int row, int rows) => rows - 1 - row;
}
