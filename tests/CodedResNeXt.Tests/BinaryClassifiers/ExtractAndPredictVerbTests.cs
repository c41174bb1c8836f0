using CodedResNeXt.ModelFiles;
using System.Text.Json;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.BinaryClassifiers;

/// <summary>`crx extract` and `crx predict` end to end, the built CLI run as a process.</summary>
[Collection(TrainedTinyModelCollection.Name)]
public class ExtractAndPredictVerbTests(TrainedTinyModel model)
{
    [Fact]
    public void Extract_writes_the_binary_classifier_of_a_class_named_in_any_case()
    {
        string output = model.NewPath(".crxb");
        var (code, stdout, stderr) = Crx("extract", "--checkpoint", model.CheckpointPath, "--class", "tROUSER", "--out", output,
            "--data-dir", model.DataDir, "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var info = Checkpoint.ReadInfo(model.CheckpointPath);
        var size = BinaryClassifierSize.Of(info.Architecture, 1, info.Model.SchemeSet);
        Assert.Equal([1], root.GetProperty("kept_classes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(size.Exact, root.GetProperty("parameter_count").GetInt64());
        Assert.Equal(size.ExactFraction, root.GetProperty("parameter_fraction").GetDouble(), 12);
        Assert.Equal(size.EstimateFraction, root.GetProperty("paper_estimate_fraction").GetDouble(), 12);

        // The file holds what the library computes from the same checkpoint and training set.
        var (network, _) = Checkpoint.Load(model.CheckpointPath);
        using (network)
        using (var expected = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [1], model.Data.Train))
            Assert.Equal(expected.Info.Thresholds, BinaryClassifierFile.ReadInfo(output).Thresholds);
        Assert.Equal(root.GetProperty("thresholds")[0].GetProperty("threshold").GetDouble(), BinaryClassifierFile.ReadInfo(output).Thresholds[0].Threshold);
    }

    [Fact]
    public void Extract_of_several_classes_writes_a_subset_model_that_predict_reads()
    {
        string output = model.NewPath(".crxb");
        var (code, stdout, stderr) = Crx("extract", "--checkpoint", model.CheckpointPath, "--classes", "1,sandal", "--out", output,
            "--data-dir", model.DataDir, "--threshold-samples", "100");
        Assert.True(code == 0, stderr);
        Assert.Contains("Trouser", stdout);
        Assert.Contains("thresholds fitted on 100 training images", stdout);
        var info = BinaryClassifierFile.ReadInfo(output);
        Assert.Equal([1, 5], info.KeptClasses);
        Assert.Equal(100, info.Classifier.ThresholdSamples);

        string dir = PredictionTests.WriteValidationPngs(model, 6);
        (code, stdout, stderr) = Crx("predict", "--model", output, dir, "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("binary-classifier", json.RootElement.GetProperty("kind").GetString());
        var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(6, predictions.Count);
        foreach (var p in predictions)
        {
            var decisions = p.GetProperty("decisions").EnumerateArray().ToList();
            Assert.Equal([1, 5], decisions.Select(d => d.GetProperty("class").GetInt32()));
            Assert.All(decisions, d => Assert.Equal(d.GetProperty("score").GetDouble() >= d.GetProperty("threshold").GetDouble(), d.GetProperty("yes").GetBoolean()));
        }

        (code, stdout, stderr) = Crx("predict", "--model", output, dir);
        Assert.True(code == 0, stderr);
        Assert.Contains("class 5 (Sandal):", stdout);
    }

    [Fact]
    public void Predict_with_a_checkpoint_gives_the_class_and_the_early_decoders_and_says_when_it_resized()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        var (code, stdout, stderr) = Crx("predict", "--model", model.CheckpointPath, Path.Combine(dir, "img00.png"), "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("checkpoint", json.RootElement.GetProperty("kind").GetString());
        var p = json.RootElement.GetProperty("predictions")[0];
        Assert.InRange(p.GetProperty("prediction").GetProperty("class").GetInt32(), 0, 9);
        Assert.Equal(3, p.GetProperty("early_decoders").GetArrayLength());

        string large = Path.Combine(dir, "large.png");
        using (var bitmap = new SkiaSharp.SKBitmap(20, 20))
        using (var image = SkiaSharp.SKImage.FromBitmap(bitmap))
            File.WriteAllBytes(large, image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray());
        (code, stdout, stderr) = Crx("predict", "--model", model.CheckpointPath, large);
        Assert.True(code == 0, stderr);
        Assert.Contains("is 20x20; its centre square was resized to the model's 8x8", stdout);
    }

    [Fact]
    public void User_errors_are_one_line_naming_the_flag_or_the_file()
    {
        string output = model.NewPath(".crxb");
        var (code, _, stderr) = Crx("extract", "--checkpoint", model.CheckpointPath, "--class", "Dragon", "--out", output, "--data-dir", model.DataDir);
        Assert.Equal(2, code);
        Assert.StartsWith("crx: error: --class: 'Dragon' is neither a class index 0..9 nor a class name (T-shirt/top, Trouser,", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(output));

        (code, _, stderr) = Crx("extract", "--checkpoint", model.CheckpointPath, "--class", "1", "--classes", "2,3", "--out", output);
        Assert.Equal((2, "crx: error: --class and --classes: give one of them, not both"), (code, stderr.TrimEnd()));

        string dir = PredictionTests.WriteValidationPngs(model, 1);
        string notAModel = model.NewPath(".txt");
        File.WriteAllText(notAModel, "weights?");
        (code, _, stderr) = Crx("predict", "--model", notAModel, dir);
        Assert.Equal((2, $"crx: error: {notAModel}: not a model file (not a zip archive)"), (code, stderr.TrimEnd()));

        string broken = Path.Combine(dir, "zz.png");
        File.WriteAllText(broken, "not an image");
        (code, _, stderr) = Crx("predict", "--model", model.CheckpointPath, dir);
        Assert.Equal((2, $"crx: error: {broken}: cannot decode image (not a readable JPEG or PNG)"), (code, stderr.TrimEnd()));
    }

    [Fact]
    public void Predict_refuses_a_png_or_jpeg_cut_in_half_naming_it()
    {
        string dir = model.NewPath("");
        Directory.CreateDirectory(dir);
        using var bitmap = new SkiaSharp.SKBitmap(64, 64);
        bitmap.Erase(new SkiaSharp.SKColor(200, 180, 20));
        foreach (string name in new[] { "half.png", "half.jpg" })
        {
            string path = Path.Combine(dir, name);
            ImageFolders.Save(bitmap, path);
            ImageFolders.Truncate(path);
            var (code, stdout, stderr) = Crx("predict", "--model", model.CheckpointPath, path);
            Assert.Equal((2, $"crx: error: {path}: cannot decode image (the file is truncated: its data ends before the image does)"), (code, stderr.TrimEnd()));
            Assert.DoesNotContain("%", stdout);
        }
    }

    private static (int Code, string Out, string Err) Crx(params string[] args) => CrxProcess.Run(Path.GetTempPath(), args);
}
