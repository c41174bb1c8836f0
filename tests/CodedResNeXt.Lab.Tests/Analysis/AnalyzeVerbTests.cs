using CodedResNeXt.Evaluation;
using CodedResNeXt.Analysis;
using CodedResNeXt.Data;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Analysis;

[Collection(TinyRunsCollection.Name)]
public class AnalyzeVerbTests(TinyRuns runs)
{
    private string[] Args(string outDir, params string[] more) =>
        ["analyze", "--checkpoint", runs.Coded, "--data-dir", runs.DataDir, "--out", outDir, "--threads", "1", "--batch", "64", .. more];

    [Fact]
    public void Analyze_writes_results_json_that_parses_back()
    {
        using var tmp = new TempDirectory();
        // Other synthetic images stand in for a second dataset of the same shape.
        TinyRuns.WriteIdxFiles(tmp["mnist"], new DatasetSplits(Synthetic.Images(10, 11), Synthetic.Images(40, 12)));
        var (code, errors) = CrxProcess.Run(Args(tmp["report"], "--ood-dataset", "mnist", "--ood-data-dir", tmp["mnist"], "--classes", "class1,4"));
        Assert.True(code == 0, errors);

        var results = AnalysisResultsFile.Load(Path.Combine(tmp["report"], "results.json"));
        Assert.Equal("tiny", results.Architecture);
        Assert.Equal("fashion-mnist", results.Dataset);
        Assert.Equal(runs.Coded, results.Checkpoint);
        Assert.Equal("mnist", results.OodSource);
        Assert.Equal([1, 4], results.BinaryClassifiers.Select(b => b.Class));
        Assert.All(results.BinaryClassifiers, b => Assert.Equal(40, b.OodNegatives!.Counts.Sum()));
        Assert.Equal(3, results.EarlyDecoding.Accuracy.Count);
        Assert.Equal(2, results.Specialization!.BlockIndex);
        Assert.Equal(6, results.ExamplePaths.Count);
        Assert.True(results.EarlyDecoding.Top1 > 0.5, $"top-1 {results.EarlyDecoding.Top1}");
    }

    [Fact]
    public void OOD_images_of_another_shape_a_bad_block_and_an_unknown_class_are_one_line_errors()
    {
        using var tmp = new TempDirectory();
        DataFixtures.WriteIdxDirectory(tmp["other"], gzip: false); // 5x4 images

        var (shape, shapeErrors) = CrxProcess.Run(Args(tmp["a"], "--ood-dataset", "mnist", "--ood-data-dir", tmp["other"]));
        Assert.Equal(2, shape);
        Assert.Equal("crx: error: --ood-dataset: mnist has 1x5x4 images but the network takes 1x8x8 (fashion-mnist-test)", shapeErrors.Trim());

        var (block, blockErrors) = CrxProcess.Run(Args(tmp["b"], "--block", "0"));
        Assert.Equal(2, block);
        Assert.Equal("crx: error: --block: block 0 (c2) is not coded; coded blocks: 1, 2, 3", blockErrors.Trim());

        var (cls, classErrors) = CrxProcess.Run(Args(tmp["c"], "--classes", "3,Sneaker"));
        Assert.Equal(2, cls);
        Assert.StartsWith("crx: error: --classes: 'Sneaker' is neither a class index 0..9 nor a class name", classErrors.Trim());
        Assert.Single(classErrors.Trim().Split('\n'));
        Assert.False(Directory.Exists(tmp["a"]) || Directory.Exists(tmp["b"]) || Directory.Exists(tmp["c"]));
    }
}
