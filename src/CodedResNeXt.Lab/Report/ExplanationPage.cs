using System.Reflection;
using System.Text.Json;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;

namespace CodedResNeXt.Report;

/// <summary>
/// The page that shows explanations (<see cref="ImageExplanation"/>): one HTML file with inline style and script,
/// nothing fetched from elsewhere. Served live it lists the models and explains an image chosen or dropped through the
/// serving API; written by `crx explain` it carries its explanations inside and needs no server.
/// </summary>
public static class ExplanationPage
{
    private const string Placeholder = "/*DATA*/";

    /// <summary>The page as served at a server's root: it asks the API (GET v1/models, POST v1/models/{name}/explain) relative to its own address.</summary>
    public static string Live { get; } = Template();

    /// <summary>The page with <paramref name="document"/> inside: it shows those explanations and asks nothing.</summary>
    public static string WithData(ModelExplanations document)
    {
        // The default encoder writes '<', '>' and '&' as \u escapes, so the JSON cannot close the script element.
        string json = JsonSerializer.Serialize(document, CodedResNeXtModel.JsonOptions);
        return Live.Replace(Placeholder, json);
    }

    /// <summary>
    /// Writes <c>index.html</c> (the page with the explanations inside) and one PNG per image into
    /// <paramref name="directory"/> (created if missing); returns the paths written, the page first.
    /// </summary>
    public static IReadOnlyList<string> Write(ModelExplanations document, string directory)
    {
        if (File.Exists(directory)) throw new InvalidInputException($"{directory}: is a file; the explanations need a directory");
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{directory}: cannot create the directory ({e.Message})");
        }
        string page = Path.Combine(directory, ReportWriter.PageName);
        OutputFile.WriteText(page, WithData(document));
        var written = new List<string> { page };
        for (int i = 0; i < document.Explanations.Count; i++)
        {
            var x = document.Explanations[i];
            string file = Path.Combine(directory, $"{i + 1:D2}-{Safe(Path.GetFileNameWithoutExtension(x.Image.File))}.png");
            OutputFile.WriteBytes(file, ExplanationFigure.Draw(document, x));
            written.Add(file);
        }
        return written;
    }

    // A file name's stem kept to letters, digits, '-', '_' and '.', at most 60 characters.
    private static string Safe(string stem)
    {
        var kept = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').Take(60).ToArray()).TrimStart('.');
        return kept.Length == 0 ? "image" : kept;
    }

    private static string Template()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CodedResNeXt.Report.ExplanationPage.html")
            ?? throw new InvalidOperationException("the explanation page is missing from the lab assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
