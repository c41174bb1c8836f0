using System.Text.Json;
using System.Text.RegularExpressions;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Explanation;

/// <summary>`crx explain`: one self-contained page carrying the explanations, a PNG per image, one-line errors.</summary>
[Collection(TrainedTinyModelCollection.Name)]
public class ExplainVerbTests(TrainedTinyModel model)
{
    [Fact]
    public void Explain_writes_a_page_carrying_every_images_explanation_and_a_png_per_image()
    {
        string images = PredictionTests.WriteValidationPngs(model, 3);
        string output = model.NewPath("");
        var (code, stdout, error) = CrxProcess.Run(images, "explain", "--model", model.CheckpointPath, images, "--out", output);
        Assert.True(code == 0, error);
        Assert.Contains("img00.png", stdout);

        var pngs = Directory.GetFiles(output, "*.png").Order().ToList();
        Assert.Equal(["01-img00.png", "02-img01.png", "03-img02.png"], pngs.Select(Path.GetFileName));
        Assert.All(pngs, p => Assert.Equal(0x89, File.ReadAllBytes(p)[0]));
        string page = File.ReadAllText(Path.Combine(output, "index.html"));
        // Nothing fetched: no external script, style or image.
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//"), page);
        var json = Regex.Match(page, "<script id=\"data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using var document = JsonDocument.Parse(json);
        var explanations = document.RootElement.GetProperty("explanations");
        Assert.Equal(3, explanations.GetArrayLength());
        Assert.Equal(3, explanations[0].GetProperty("blocks").GetArrayLength());
        Assert.Equal(model.CheckpointPath, document.RootElement.GetProperty("model").GetString());
        Assert.True(explanations[0].GetProperty("saliency").GetProperty("path").GetArrayLength() > 0);
    }

    [Fact]
    public void A_class_the_model_does_not_have_is_one_line_naming_the_flag()
    {
        string images = PredictionTests.WriteValidationPngs(model, 1);
        var (code, _, error) = CrxProcess.Run(images, "explain", "--model", model.CheckpointPath, images, "--out", model.NewPath(""), "--class", "99");
        Assert.Equal(2, code);
        Assert.StartsWith("crx: error: --class: 99 is not among", error.Trim());
        Assert.DoesNotContain('\n', error.Trim());
    }
}
