using System.Text.Json;
using CodedResNeXt.Analysis;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.BinaryClassifiers;

/// <summary>
/// `crx extract` and `crx analyze` fit a class's threshold with one fit (BinaryClassifiers/ThresholdFitting): the same
/// training subset, the same negatives and the same batches for the same --threshold-samples and --seed, so the same
/// threshold, whichever other classes analyze fits beside it.
/// </summary>
[Collection(TrainedTinyModelCollection.Name)]
public class ThresholdAgreementTests(TrainedTinyModel model)
{
    [Theory]
    [InlineData("150", "4")]
    [InlineData(null, "1")]
    public void Extract_and_analyze_give_a_class_the_same_threshold(string? samples, string seed)
    {
        string[] sampling = samples is null ? ["--seed", seed] : ["--threshold-samples", samples, "--seed", seed];
        string clf = model.NewPath(".crxb");
        var (code, stdout, stderr) = CrxProcess.Run(model.DataDir, ["extract", "--checkpoint", model.CheckpointPath, "--class", "3",
            "--out", clf, "--data-dir", model.DataDir, "--json", .. sampling]);
        Assert.True(code == 0, stderr);
        using var extracted = JsonDocument.Parse(stdout);
        double extractThreshold = extracted.RootElement.GetProperty("thresholds")[0].GetProperty("threshold").GetDouble();

        string report = model.NewPath("-report");
        // analyze's default subset is 10,000 images; the tiny set is smaller, so "all" and 10,000 are the same set.
        (code, _, stderr) = CrxProcess.Run(model.DataDir, ["analyze", "--checkpoint", model.CheckpointPath, "--classes", "1,3,7",
            "--data-dir", model.DataDir, "--out", report, "--threads", "1", .. sampling]);
        Assert.True(code == 0, stderr);
        var results = AnalysisResultsFile.Load(Path.Combine(report, "results.json"));
        var three = results.BinaryClassifiers.Single(b => b.Class == 3);

        Assert.Equal(extractThreshold, three.Threshold);
        Assert.Equal(extracted.RootElement.GetProperty("thresholds")[0].GetProperty("training_f1").GetDouble(), three.TrainF1);
        var fit = extracted.RootElement.GetProperty("thresholds")[0];
        int scored = fit.GetProperty("positives").GetInt32() + fit.GetProperty("negatives").GetInt32();
        Assert.Equal(samples is null ? results.Settings!.TrainingImages : int.Parse(samples), scored);
        Assert.Equal(scored, results.Settings!.ThresholdImages);
    }
}

/// <summary>
/// xunit finds collection fixtures only in the test assembly itself: the lab's tests that share the core tests' trained
/// network declare the collection here too (one trained network per test assembly).
/// </summary>
[CollectionDefinition(TrainedTinyModelCollection.Name, DisableParallelization = true)]
public sealed class LabTrainedTinyModelCollection : ICollectionFixture<TrainedTinyModel>;
