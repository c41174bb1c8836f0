namespace CodedResNeXt.Report;

/// <summary>The page's inline style sheet: readable tables, figures that shrink with the window, no external resources.</summary>
internal static class ReportStyle
{
    public const string Css = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: #222; background: #fff;
               max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; line-height: 1.4; }
        h1 { margin-bottom: 4px; }
        h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 4px; margin-top: 40px; }
        h3 { margin-top: 24px; }
        .lead { color: #555; margin-top: 0; overflow-wrap: anywhere; }
        .note { color: #777; font-style: italic; }
        .caption { margin: 0 0 6px; font-weight: bold; }
        figure { margin: 12px 0; }
        figcaption { color: #555; font-size: 0.9em; max-width: 640px; }
        img { max-width: 100%; height: auto; }
        table { border-collapse: collapse; margin: 12px 0; font-size: 0.9em; }
        th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
        thead th { background: #f0f4f8; }
        tbody tr:nth-child(even) { background: #fafafa; }
        tfoot td { font-weight: bold; background: #f0f4f8; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.summary td:first-child { font-weight: bold; background: #f0f4f8; }
        table.codewords { font-family: "DejaVu Sans Mono", monospace; font-size: 0.8em; }
        table.codewords td, table.codewords th { padding: 1px 5px; text-align: center; }
        table.codewords td:first-child { text-align: left; font-family: "DejaVu Sans", sans-serif; }
        table.codewords td.on { background: #2f6fae; color: #fff; }
        table.codewords tbody tr:nth-child(even) td:not(.on) { background: #fafafa; }
        .grid { display: flex; flex-wrap: wrap; gap: 16px 24px; align-items: flex-start; }
        .pair { display: flex; flex-wrap: wrap; gap: 16px 24px; align-items: flex-start; }
        .path { border: 1px solid #ddd; border-radius: 6px; padding: 12px; }
        .facts p { margin: 2px 0; }
        .facts ul { margin: 2px 0; padding-left: 20px; }
        .ok { color: #2ca02c; font-weight: bold; }
        .bad { color: #d62728; font-weight: bold; }

        """;
}
