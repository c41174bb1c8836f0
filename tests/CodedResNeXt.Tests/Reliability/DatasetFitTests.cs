using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Items 5 and 12: eval and analyze refuse images the network was not built for, and read only the validation
/// split of a dataset they only evaluate on.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class DatasetFitTests(ReliabilityRun fixture)
{
    /// <summary>The synthetic validation images upscaled 2x: 16x16, the same 10 classes.</summary>
    private string LargerImages(bool trainSplit)
    {
        string dir = fixture.NewPath("16x16-");
        var splits = Synthetic.Splits();
        CodedResNeXt.Data.ImageDataset Upscale(CodedResNeXt.Data.ImageDataset d)
        {
            int s = Synthetic.Side;
            var pixels = new byte[d.Count * 4 * s * s];
            for (int i = 0; i < d.Count; i++)
                for (int y = 0; y < 2 * s; y++)
                    for (int x = 0; x < 2 * s; x++)
                        pixels[(i * 2 * s + y) * 2 * s + x] = d.Image(i)[y / 2 * s + x / 2];
            return new(d.Name, pixels, d.Labels.ToArray(), d.ClassNames, 1, 2 * s, 2 * s);
        }
        ReliabilityRun.WriteIdx(dir, new(Upscale(splits.Train), Upscale(splits.Test)), 2 * Synthetic.Side, trainSplit);
        return dir;
    }

    [Fact]
    public void Eval_refuses_images_of_another_size()
    {
        string data = LargerImages(trainSplit: false);
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", fixture.Checkpoint, "--data-dir", data);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --data-dir: {data} holds 1x16x16 images but {fixture.Checkpoint} takes 1x8x8", error.Trim());
    }

    [Fact]
    public void Analyze_refuses_images_of_another_size_before_analyzing()
    {
        string data = LargerImages(trainSplit: true);
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", data, "--out", fixture.NewPath("report-"));
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --data-dir: {data} holds 1x16x16 images but {fixture.Checkpoint} takes 1x8x8", error.Trim());
    }

    [Fact]
    public void Eval_and_ood_negatives_need_only_the_validation_files()
    {
        string validationOnly = fixture.NewPath("t10k-only-");
        ReliabilityRun.WriteIdx(validationOnly, Synthetic.Splits(), Synthetic.Side, trainSplit: false);
        Assert.Equal(2, Directory.GetFiles(validationOnly).Length);

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", fixture.Checkpoint, "--data-dir", validationOnly, "--json");
        Assert.True(code == 0, error);
        Assert.Contains("\"count\": 100", output);

        string report = fixture.NewPath("report-");
        (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir,
            "--ood-dataset", "mnist", "--ood-data-dir", validationOnly, "--threshold-samples", "100", "--classes", "0,1", "--threads", "1", "--out", report);
        Assert.True(code == 0, error);
        Assert.Contains("OOD negatives: mnist (100 images)", output);
        Assert.True(File.Exists(Path.Combine(report, "results.json")));
    }
}
