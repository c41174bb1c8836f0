using CodedResNeXt.Evaluation;
using CodedResNeXt.Decoding;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.PublicApi;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CodedResNeXt.Tests.Serving;

/// <summary>
/// The page at / in headless Chromium (/usr/bin/chromium, driven by Playwright): a real file chosen in its file input
/// is explained by the server and drawn: the prediction, every coded block against the codewords, the saliency maps,
/// where early exit would stop it and the classifier's answer. The screenshot is kept in TestResults/screenshots.
/// </summary>
[Collection(TrainedTinyModelCollection.Name)]
public class PageTests(TrainedTinyModel model, ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task An_uploaded_image_is_explained_and_drawn_with_its_path_saliency_early_exit_and_classifiers()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing (setup.sh --tests installs it)");
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        string file = Path.Combine(dir, "img00.png");
        // A checkpoint with a stored calibration that lets every image leave at the first coded block.
        string checkpoint = model.NewPath(".ckpt");
        File.Copy(model.CheckpointPath, checkpoint);
        using (var loaded = PredictionModel.Load(checkpoint))
        {
            var coded = loaded.Architecture.CodedBlockIndices;
            StoredCalibrations.Store(checkpoint, new EarlyExitCalibration(0.5, coded, [1e-9, .. coded.Skip(1).Select(_ => (double?)null)], 1));
        }
        ImageExplanation expected;
        using (var loaded = PredictionModel.Load(checkpoint)) expected = loaded.Explain(file);

        await using var server = await TinyServer.Start(model, checkpoint: checkpoint);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add($"{m.Text} ({m.Location})"); };
        page.PageError += (_, e) => errors.Add(e);

        await page.GotoAsync(server.Address.ToString());
        await page.Locator("#model option[value='tiny']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        await page.SelectOptionAsync("#model", "tiny");
        await page.SetInputFilesAsync("#file", file);
        await page.WaitForSelectorAsync("body[data-rendered='1']", new() { Timeout = 60_000 });

        Assert.Equal(expected.Prediction.Prediction!.Name, await page.InnerTextAsync(".predicted-class"));
        Assert.Equal(expected.Blocks.Count, await page.Locator(".block").CountAsync());
        Assert.Equal(expected.Blocks.Select(b => b.Vote.Name), await page.Locator(".block .vote").AllInnerTextsAsync());
        // Each block's codeword row lights the cells its codeword names.
        for (int b = 0; b < expected.Blocks.Count; b++)
            Assert.Equal(expected.Blocks[b].PredictedCodeword.Count(c => c == '1'),
                await page.Locator(".block").Nth(b).Locator("td.predicted.on").CountAsync());
        string stop = await page.InnerTextAsync(".early-exit .stop");
        Assert.Contains($"leaves at block {expected.Blocks[0].BlockIndex}", stop);
        Assert.Contains("trouser", await page.InnerTextAsync("table.classifiers"));
        // The saliency maps are drawn, not blank: their pixels differ.
        foreach (string kind in new[] { "path", "full", "grad-cam" })
        {
            int distinct = await page.EvaluateAsync<int>($$"""
                () => { const c = document.querySelector("canvas.saliency.{{kind}}");
                        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                        const seen = new Set(); for (let i = 0; i < d.length; i += 4) seen.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
                        return seen.size; }
                """);
            Assert.True(distinct > 10, $"the {kind} map has {distinct} colours");
        }

        string screenshots = Path.Combine(SampleProgramTests.RepositoryRoot(), "TestResults", "screenshots");
        Directory.CreateDirectory(screenshots);
        string shot = Path.Combine(screenshots, "serving-page.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        output.WriteLine($"screenshot: {shot}");
        Assert.True(new FileInfo(shot).Length > 10_000);

        // An ONNX model: everything but the saliency maps, and the page says why.
        await page.SelectOptionAsync("#model", "tiny-onnx");
        await page.SetInputFilesAsync("#file", Array.Empty<string>());
        await page.SetInputFilesAsync("#file", file);
        await page.WaitForSelectorAsync(".saliency-unavailable", new() { Timeout = 60_000 });
        Assert.Contains("ONNX", await page.InnerTextAsync(".saliency-unavailable"));
        Assert.Equal(0, await page.Locator("canvas.saliency").CountAsync());
        Assert.Empty(errors);
    }
}
