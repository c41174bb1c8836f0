using CodedResNeXt.Analysis;

namespace CodedResNeXt.Report;

/// <summary>
/// Writes the visual report of an analysis: <c>index.html</c>, one self-contained page (figures embedded as PNG
/// data URIs, inline CSS, no scripts, nothing fetched), and every figure again as a PNG under <c>figures/</c>
/// for reuse in papers and READMEs.
/// </summary>
public static class ReportWriter
{
    /// <summary>The report's page, at the top of the report directory.</summary>
    public const string PageName = "index.html";
    /// <summary>The subfolder of the report directory holding every figure as a PNG.</summary>
    public const string FigureFolder = "figures";

    /// <summary>Writes the report into <paramref name="directory"/> (created if missing) and returns the paths of the files written, the page first.</summary>
    public static IReadOnlyList<string> Write(AnalysisResults results, string directory)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (string.IsNullOrWhiteSpace(directory)) throw new InvalidInputException("report directory: the path is empty");
        if (File.Exists(directory)) throw new InvalidInputException($"{directory}: is a file; the report needs a directory");

        var page = ReportPage.Compose(results);
        string figures;
        try
        {
            Directory.CreateDirectory(directory);
            // figures/ is ours to make: a link standing there would take the figures wherever it points.
            figures = OutputFile.Subfolder(directory, FigureFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{directory}: cannot create the report directory ({e.Message})");
        }

        string index = Path.Combine(directory, PageName);
        OutputFile.WriteText(index, page.Html);
        var written = new List<string> { index };
        foreach (var figure in page.Figures)
        {
            string file = Path.Combine(figures, figure.FileName);
            OutputFile.WriteBytes(file, figure.Png);
            written.Add(file);
        }
        return written;
    }
}
