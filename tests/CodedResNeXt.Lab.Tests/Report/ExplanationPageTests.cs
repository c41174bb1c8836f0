using System.Text.Json;
using System.Text.RegularExpressions;
using CodedResNeXt.Prediction;
using CodedResNeXt.Report;
using CodedResNeXt.Tests.TestSupport;
using SkiaSharp;

namespace CodedResNeXt.Tests.Report;

/// <summary>
/// The explanation page and its PNGs from an explanation made by hand: names from a model file cannot break out of the
/// page's data, the page carries exactly the document, and each image gets a PNG.
/// </summary>
public class ExplanationPageTests
{
    // A 1-block, 3-class, 4-subNN explanation of a 2x2 gray image, its class names hostile.
    private static ModelExplanations Document()
    {
        string[] names = ["</script><script>alert(1)</script>", "b & <c>", "plain"];
        var block = new BlockExplanation(1, "s", [2.0, 1.0, 0.5, 0.5], [1.0, 0.5, 0.25, 0.25], "1100", 1, "0011",
            [0.5, 1.5, 1.2], new EarlyDecoderPrediction(1, 0, names[0], 0.6), 0.7);
        var prediction = new ImagePrediction(new InputImage("<img src=x onerror=alert(1)>.png", 2, 2, false), null,
            new PredictedClass(0, names[0], 0.8), [new EarlyDecoderPrediction(1, 0, names[0], 0.6)])
        {
            Logits = [2f, 1f, 0f], Probabilities = [0.8f, 0.15f, 0.05f],
        };
        var x = new ImageExplanation(prediction.Image, prediction, [block], [new EarlyExitDecision(1, 0.4) { Target = 0.99, Class = 0, Name = names[0] }],
            [new ClassifierAnswer("c.crxb", [new ClassDecision(1, names[1], true, 1.2, 0.5)])],
            new SaliencyMaps(0, names[0], 1, 2, 2, [0.1f, -0.4f, 0.2f, 0f], [0.3f, 0.1f, -0.2f, 0.05f]), null, [0, 64, 128, 255]);
        return new ModelExplanations("m.ckpt", "checkpoint", names, 1, 2, [x]);
    }

    [Fact]
    public void The_page_carries_the_document_and_no_name_closes_its_script()
    {
        var document = Document();
        string page = ExplanationPage.WithData(document);
        Assert.DoesNotContain("<script><script>", page);
        Assert.DoesNotContain("alert(1)</script>", page);
        Assert.DoesNotContain("<img src=x", page);
        var json = Regex.Match(page, "<script id=\"data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        var back = JsonSerializer.Deserialize<JsonElement>(json);
        Assert.Equal(document.ClassNames, back.GetProperty("class_names").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("AECA/w==", back.GetProperty("explanations")[0].GetProperty("input").GetString());
        // The live page has no data: it asks the API.
        Assert.Contains("/*DATA*/", ExplanationPage.Live);
        Assert.DoesNotContain("/*DATA*/", page);
    }

    [Fact]
    public void Write_puts_the_page_and_a_png_per_image_in_the_folder()
    {
        using var tmp = new TempDirectory();
        var written = ExplanationPage.Write(Document(), tmp["out"]);
        Assert.Equal(2, written.Count);
        Assert.Equal("index.html", Path.GetFileName(written[0]));
        // The image's name is kept to safe characters in the PNG's file name.
        Assert.Equal("01-_img_src_x_onerror_alert_1__.png", Path.GetFileName(written[1]));
        using var png = SKBitmap.Decode(written[1]);
        Assert.NotNull(png);
        Assert.True(png.Width > 300 && png.Height > 200, $"{png.Width}x{png.Height}");
    }
}
