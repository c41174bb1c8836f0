using System.Text.Json.Nodes;
using CodedResNeXt.Analysis;
using CodedResNeXt.Report;
using CodedResNeXt.Tests.TestSupport;
using SkiaSharp;

namespace CodedResNeXt.Tests.Report;

/// <summary>
/// The report as a browser shows it: headless Chromium loads the written page from disk, every embedded image must
/// decode, the console must stay free of errors, and a full-page screenshot must come out. Set CRX_REPORT_PREVIEW
/// to a directory to keep the pages and screenshots there for a look.
/// </summary>
public class ReportRenderingTests
{
    const int ScreenWidth = 1280;

    [Fact]
    public async Task The_pages_render_in_headless_chromium_with_every_image_loaded_and_no_errors()
    {
        using var dir = new TempDirectory();
        string root = Environment.GetEnvironmentVariable("CRX_REPORT_PREVIEW") is { Length: > 0 } keep ? keep : dir.Path;
        await using var browser = await HeadlessChromium.StartAsync();

        await AssertRenders(browser, SampleResults.Build(), Path.Combine(root, "full"));
        await AssertRenders(browser, SampleResults.Build(coded: false, ood: false), Path.Combine(root, "plain"));
    }

    static async Task AssertRenders(HeadlessChromium browser, AnalysisResults results, string directory)
    {
        var written = ReportWriter.Write(results, directory);
        int errorsBefore = browser.Errors.Count;
        await browser.LoadAsync(written[0]);

        var page = JsonNode.Parse((await browser.EvaluateAsync("""
            JSON.stringify({
              images: document.images.length,
              broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
              widths: Array.from(document.images).map(i => i.naturalWidth),
              overflow: document.documentElement.scrollWidth > window.innerWidth,
              sections: document.querySelectorAll('section').length
            })
            """))!.GetValue<string>())!;
        Assert.Equal(written.Count - 1, page["images"]!.GetValue<int>());
        Assert.Empty(page["broken"]!.AsArray());
        // Each image decoded at the size of its PNG file, in page order as written.
        var fileWidths = written.Skip(1).Select(f => { using var b = SKBitmap.Decode(f); return b.Width; }).Order();
        Assert.Equal(fileWidths, page["widths"]!.AsArray().Select(w => w!.GetValue<int>()).Order());
        Assert.False(page["overflow"]!.GetValue<bool>(), "the page is wider than the window");
        Assert.Equal(6, page["sections"]!.GetValue<int>());
        Assert.Equal([], browser.Errors.Skip(errorsBefore));

        byte[] screenshot = await browser.ScreenshotAsync(ScreenWidth);
        string shot = Path.Combine(directory, "screenshot.png");
        await File.WriteAllBytesAsync(shot, screenshot);
        ReportWriterTests.AssertRealPng(shot);
        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.Equal(ScreenWidth, bitmap.Width);
        Assert.True(bitmap.Height > 1000, $"the screenshot is only {bitmap.Height} pixels high");
        // The screenshot ends with the content (the last example path's frame), not with empty window.
        var bottom = Enumerable.Range(bitmap.Height - 150, 150).SelectMany(y => Enumerable.Range(0, ScreenWidth).Select(x => bitmap.GetPixel(x, y)));
        Assert.True(bottom.Distinct().Skip(1).Any(), "the bottom of the screenshot is blank");
    }
}
