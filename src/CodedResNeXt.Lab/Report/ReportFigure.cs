namespace CodedResNeXt.Report;

/// <summary>
/// One figure of the report: a PNG written to figures/<see cref="FileName"/> and embedded in index.html as a
/// data URI. <see cref="Width"/> and <see cref="Height"/> are the CSS size; the PNG may hold more pixels
/// (figures are rendered at twice that size so they stay sharp on high-density screens and in papers).
/// </summary>
internal sealed record ReportFigure(string FileName, string AltText, byte[] Png, int Width, int Height)
{
    public string DataUri => "data:image/png;base64," + Convert.ToBase64String(Png);
}
