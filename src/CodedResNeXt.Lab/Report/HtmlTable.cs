using System.Net;
using System.Text;

namespace CodedResNeXt.Report;

/// <summary>
/// An HTML table built row by row. Text cells are escaped here, so class names and file names from the user
/// can hold any character; <see cref="Raw"/> cells carry markup the report composed itself.
/// </summary>
internal sealed class HtmlTable(string cssClass = "")
{
    readonly StringBuilder _head = new();
    readonly StringBuilder _body = new();
    readonly StringBuilder _foot = new();

    /// <summary>A cell: its HTML, whether it holds a number (right-aligned), and extra attributes.</summary>
    public readonly record struct Cell(string Html, bool IsNumber = false, string Attributes = "");

    public static Cell Text(string text) => new(Escape(text));
    public static Cell Number(string formatted) => new(Escape(formatted), IsNumber: true);
    public static Cell Raw(string html, string attributes = "") => new(html, Attributes: attributes);

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public HtmlTable HeaderRow(params Cell[] cells) => Add(_head, "th", cells);
    public HtmlTable Row(params Cell[] cells) => Add(_body, "td", cells);
    public HtmlTable FooterRow(params Cell[] cells) => Add(_foot, "td", cells);

    HtmlTable Add(StringBuilder section, string tag, Cell[] cells)
    {
        section.Append("<tr>");
        foreach (var c in cells)
        {
            string cls = c.IsNumber ? " class=\"num\"" : "";
            string attributes = c.Attributes.Length > 0 ? " " + c.Attributes : "";
            section.Append('<').Append(tag).Append(cls).Append(attributes).Append('>').Append(c.Html).Append("</").Append(tag).Append('>');
        }
        section.Append("</tr>\n");
        return this;
    }

    public override string ToString()
    {
        var html = new StringBuilder(cssClass.Length > 0 ? $"<table class=\"{cssClass}\">\n" : "<table>\n");
        if (_head.Length > 0) html.Append("<thead>\n").Append(_head).Append("</thead>\n");
        html.Append("<tbody>\n").Append(_body).Append("</tbody>\n");
        if (_foot.Length > 0) html.Append("<tfoot>\n").Append(_foot).Append("</tfoot>\n");
        return html.Append("</table>\n").ToString();
    }
}
