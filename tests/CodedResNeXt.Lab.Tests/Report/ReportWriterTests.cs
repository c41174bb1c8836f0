using CodedResNeXt.Evaluation;
using System.Buffers.Binary;
using System.Text.RegularExpressions;
using CodedResNeXt.Analysis;
using CodedResNeXt.Report;
using CodedResNeXt.Tests.TestSupport;
using SkiaSharp;

namespace CodedResNeXt.Tests.Report;

/// <summary>The full sample report, written once for the tests that only read it.</summary>
public sealed class WrittenSampleReport : IDisposable
{
    readonly TempDirectory _dir = new();

    public WrittenSampleReport()
    {
        Written = ReportWriter.Write(SampleResults.Build(), _dir["report"]);
        Html = File.ReadAllText(Written[0]);
    }

    public string Directory => _dir["report"];
    public IReadOnlyList<string> Written { get; }
    public string Html { get; }

    public void Dispose() => _dir.Dispose();
}

public class ReportWriterTests(WrittenSampleReport sample) : IClassFixture<WrittenSampleReport>
{
    static readonly string[] Sections = ["Summary", "Early decoding", "Specialization", "Binary classifiers", "Energy by class and codewords", "Example paths"];

    /// <summary>What the sample results must produce: per coded block a heatmap, per path a thumbnail and an energy map.</summary>
    static readonly string[] FullFigures =
    [
        "early-decoding.png", "specialization.png", "precision-recall.png",
        "histogram-class-0.png", "histogram-class-1.png", "histogram-class-2.png", "histogram-class-3.png",
        "energy-block-5.png", "energy-block-8.png",
        "path-1-image.png", "path-1-energies.png", "path-2-image.png", "path-2-energies.png", "path-3-image.png", "path-3-energies.png",
    ];

    [Fact]
    public void Writes_the_page_first_then_every_figure_as_a_png_in_the_figures_folder()
    {
        var written = sample.Written;
        Assert.Equal(Path.Combine(sample.Directory, "index.html"), written[0]);
        Assert.All(written.Skip(1), f => Assert.Equal(Path.Combine(sample.Directory, "figures"), Path.GetDirectoryName(f)));
        Assert.Equal(FullFigures.Order(), written.Skip(1).Select(Path.GetFileName).Order());
        Assert.All(written, f => Assert.True(File.Exists(f), f));
        foreach (var png in written.Skip(1)) AssertRealPng(png);
    }

    [Fact]
    public void Every_figure_file_is_embedded_exactly_once_as_a_data_uri_and_nothing_else_is_loaded()
    {
        var (written, html) = (sample.Written, sample.Html);
        var sources = Regex.Matches(html, "<img src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(written.Count - 1, Regex.Matches(html, "<img ").Count);
        Assert.Equal(sources.Count, Regex.Matches(html, "<img ").Count);
        foreach (var png in written.Skip(1))
            Assert.Single(sources, s => s == "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(png)));
        // Self-contained and static: no scripts, no style sheets or fonts to fetch, no remote addresses.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Problems_of_20_or_more_classes_show_top_5_beside_top_1()
    {
        using var dir = new TempDirectory();
        var results = SampleResults.Build() with { ValidationTop5 = 0.987 };
        string html = File.ReadAllText(ReportWriter.Write(results, dir.Path)[0]);
        Assert.Contains("<td>Validation top-5</td><td>98.70 %</td>", html);
        Assert.True(html.IndexOf("Validation top-1", StringComparison.Ordinal) < html.IndexOf("Validation top-5", StringComparison.Ordinal));
    }

    [Fact]
    public void The_page_has_the_sections_in_order_and_the_summary_numbers()
    {
        string html = sample.Html;
        Assert.Equal(Sections, Headings(html, "h2"));
        Assert.Equal(["Output histograms", "Per class", "Block 5 (cifar10/5/10)", "Block 8 (cifar10/3/10)"], Headings(html, "h3"));
        Assert.Contains("<td>Validation top-1</td><td>91.00 %</td>", html);
        Assert.DoesNotContain("top-5", html); // 10 classes: judged by top-1 only
        Assert.Contains("<td>Out-of-distribution negatives</td><td>mnist</td>", html);
        Assert.Contains("<td>Coded blocks</td><td>5, 8</td>", html);
        // Early decoding table: block 8 decodes 88 % and agrees 93 % with the final prediction.
        Assert.Contains("<tr><td class=\"num\">8</td><td class=\"num\">88.00 %</td><td class=\"num\">93.00 %</td></tr>", html);
        // Specialization: removing 5 active subNNs leaves 10 %, removing 5 inactive ones 92.5 %.
        Assert.Contains("<tr><td class=\"num\">5</td><td class=\"num\">10.00 %</td><td class=\"num\">92.50 %</td></tr>", html);
    }

    [Fact]
    public void Binary_classifier_means_match_the_sample_computed_by_hand()
    {
        string foot = Regex.Match(sample.Html, "<table class=\"classifiers\">.*?<tfoot>(.*?)</tfoot>", RegexOptions.Singleline).Groups[1].Value;
        var cells = Regex.Matches(foot, "<td[^>]*>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();

        // Class k: 2,149,000 + 1,000 k parameters of 4,639,000 (mean 2,153,500, 46.42 %); in-distribution tp 90-k, fp k,
        // fn 10+k, so precision (90-k)/90 averages 85.5/90 = 95 %, recall (90-k)/100 averages 85.5 %; train F1 0.9-0.01k
        // averages 0.855. OOD: fp 20+2k, precision (90-k)/(110+k): 90/110 ... 81/119.
        double oodPrecision = (90.0 / 110 + 89.0 / 111 + 88.0 / 112 + 87.0 / 113 + 86.0 / 114 + 85.0 / 115 + 84.0 / 116 + 83.0 / 117 + 82.0 / 118 + 81.0 / 119) / 10;
        Assert.Equal(["mean", "", "2,153,500", "46.42 %", "", "0.855", "95.00 %", "85.50 %", $"{100 * oodPrecision:0.00} %", "85.50 %"], cells);
    }

    [Fact]
    public void Class_names_and_texts_are_escaped_for_html()
    {
        string[] names = ["<script>alert(\"x\")</script>", "Q&A", "a<b", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        using var dir = new TempDirectory();
        string html = File.ReadAllText(ReportWriter.Write(SampleResults.Build(classNames: names), dir.Path)[0]);

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("a<b", html);
        Assert.Contains("<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>", html);
        Assert.Contains("<td>Q&amp;A</td>", html);
        Assert.Contains("<td>2 a&lt;b</td>", html); // the codeword table's row label
        Assert.DoesNotMatch("&(?!(amp|lt|gt|quot|#39|#\\d+);)", html); // every & starts an entity
    }

    [Fact]
    public void Without_coded_blocks_the_page_says_so_and_keeps_the_rest()
    {
        using var dir = new TempDirectory();
        var written = ReportWriter.Write(SampleResults.Build(coded: false), dir.Path);
        string html = File.ReadAllText(written[0]);

        Assert.Equal(["precision-recall.png", "histogram-class-0.png", "histogram-class-1.png", "histogram-class-2.png", "histogram-class-3.png",
            "path-1-image.png", "path-2-image.png", "path-3-image.png"], written.Skip(1).Select(Path.GetFileName));
        Assert.Equal(Sections, Headings(html, "h2"));
        Assert.Equal(3, Regex.Matches(html, "has no coded blocks").Count); // early decoding, specialization, codewords
        Assert.Contains("<td>Coded blocks</td><td>none</td>", html);
        Assert.Equal(written.Count - 1, Regex.Matches(html, "<img ").Count);
        Assert.DoesNotContain("early decoders:", html);
        foreach (var png in written.Skip(1)) AssertRealPng(png);
    }

    [Fact]
    public void Without_out_of_distribution_negatives_their_columns_and_series_are_left_out()
    {
        using var without = new TempDirectory();
        string htmlWith = sample.Html;
        var written = ReportWriter.Write(SampleResults.Build(ood: false), without.Path);
        string html = File.ReadAllText(written[0]);

        Assert.Contains("<td>Out-of-distribution negatives</td><td>none</td>", html);
        Assert.Equal(2, Regex.Matches(htmlWith, "<th>Precision</th>").Count);
        Assert.Single(Regex.Matches(html, "<th>Precision</th>"));
        Assert.DoesNotContain("triangles", html);
        Assert.Equal(FullFigures.Order(), written.Skip(1).Select(Path.GetFileName).Order());
        // The OOD series is drawn, so the figures differ: the precision-recall plot has one series less.
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(sample.Directory, "figures", "precision-recall.png")),
            File.ReadAllBytes(Path.Combine(without.Path, "figures", "precision-recall.png")));
    }

    [Fact]
    public void Thumbnails_show_the_image_pixels_enlarged()
    {
        string figures = Path.Combine(sample.Directory, "figures");
        // 28x28 grey is enlarged 4x (to 112 CSS pixels, 128 / 28 rounded down), drawn at 2 device pixels per CSS pixel.
        AssertEnlarged(Path.Combine(figures, "path-1-image.png"), SampleResults.Pixels(1, 28, seed: 0), channels: 1, side: 28, factor: 8);
        // 32x32 RGB is enlarged 4x as well.
        AssertEnlarged(Path.Combine(figures, "path-2-image.png"), SampleResults.Pixels(3, 32, seed: 1), channels: 3, side: 32, factor: 8);
    }

    [Fact]
    public void A_long_codeword_table_shows_its_first_hundred_rows_and_the_heatmap_all_classes()
    {
        const int classes = 120;
        var rng = new Random(5);
        var codewords = Enumerable.Range(0, classes).Select(_ => new string(Enumerable.Range(0, 10).Select(_ => rng.Next(2) == 1 ? '1' : '0').ToArray())).ToList();
        var energies = codewords.Select(w => (IReadOnlyList<double>)w.Select(b => b == '1' ? 0.9 : 0.05).ToList()).ToList();
        var results = SampleResults.Build() with
        {
            ClassNames = Enumerable.Range(0, classes).Select(k => $"c{k}").ToList(),
            EnergyProfiles = [new BlockEnergyProfile(5, "random", codewords, energies)],
        };
        using var dir = new TempDirectory();
        var written = ReportWriter.Write(results, dir.Path);
        string html = File.ReadAllText(written[0]);

        string table = Regex.Match(html, "<table class=\"codewords\">.*?</table>", RegexOptions.Singleline).Value;
        Assert.Equal(1 + 100, Regex.Matches(table, "<tr>").Count);
        Assert.Contains("<td>99 c99</td>", table);
        Assert.DoesNotContain("<td>100 c100</td>", table);
        Assert.Contains("The first 100 of 120 codewords.", html);
        Assert.Equal(codewords.Take(100).Sum(w => w.Count(b => b == '1')), Regex.Matches(table, "<td class=\"on\">1</td>").Count);
        AssertRealPng(Path.Combine(dir.Path, "figures", "energy-block-5.png"));
    }

    [Fact]
    public void A_file_where_the_directory_should_be_is_a_user_error_naming_it()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir["taken"], "");
        var e = Assert.Throws<InvalidInputException>(() => ReportWriter.Write(SampleResults.Build(), dir["taken"]));
        Assert.Contains(dir["taken"], e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    static List<string> Headings(string html, string tag) =>
        Regex.Matches(html, $"<{tag}>(.*?)</{tag}>").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    /// <summary>A PNG that decodes, has the size its header says, is more than a few bytes, and is not one flat colour.</summary>
    internal static void AssertRealPng(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > 500, $"{file}: only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        Assert.True(width >= 100 && height >= 100, $"{file}: {width}x{height}");
        int colours = bitmap.Pixels.Distinct().Take(20).Count();
        Assert.True(colours >= 20, $"{file}: only {colours} distinct colours");
    }

    static void AssertEnlarged(string file, byte[] source, int channels, int side, int factor)
    {
        using var bitmap = SKBitmap.Decode(file);
        Assert.Equal((side * factor, side * factor), (bitmap.Width, bitmap.Height));
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                int i = y * side + x;
                var expected = channels == 1
                    ? new SKColor(source[i], source[i], source[i])
                    : new SKColor(source[i], source[side * side + i], source[2 * side * side + i]);
                // Every device pixel of the enlarged source pixel: its corners and its centre.
                foreach (var (dx, dy) in new[] { (0, 0), (factor - 1, factor - 1), (factor / 2, factor / 2) })
                    Assert.Equal(expected, bitmap.GetPixel(x * factor + dx, y * factor + dy));
            }
    }

    [Fact]
    public void A_class_held_out_of_training_has_NaN_energies_and_still_renders()
    {
        var results = SampleResults.Build();
        var profile = results.EnergyProfiles[0];
        var rows = profile.MeanEnergyByClass.ToList();
        rows[9] = Enumerable.Repeat(double.NaN, rows[9].Count).ToList();
        results = results with { EnergyProfiles = [profile with { MeanEnergyByClass = rows }, .. results.EnergyProfiles.Skip(1)] };
        using var dir = new CodedResNeXt.Tests.TestSupport.TempDirectory();
        var files = ReportWriter.Write(results, dir.Path);
        Assert.Contains(files, f => f.EndsWith("energy-block-5.png"));
    }
}
