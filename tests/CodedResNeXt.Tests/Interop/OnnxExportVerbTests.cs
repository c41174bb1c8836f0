using System.Text.Json;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace CodedResNeXt.Tests.Interop;

/// <summary>`crx export --format onnx` and `crx predict --model x.onnx` end to end, the built CLI run as a process.</summary>
[Collection(TrainedTinyModelCollection.Name)]
public class OnnxExportVerbTests(TrainedTinyModel model)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void Predict_with_an_exported_checkpoint_matches_predict_with_the_checkpoint()
    {
        string onnx = model.NewPath(".onnx");
        var (code, stdout, stderr) = Crx("export", "--format", "onnx", model.CheckpointPath, "--out", onnx);
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"written: {onnx} (", stdout);
        using (var session = new InferenceSession(onnx))
            Assert.Equal([OnnxExport.Logits, "energies.1", "energies.2", "energies.3"], session.OutputMetadata.Keys);

        string dir = PredictionTests.WriteValidationPngs(model, 12);
        var source = Predictions(model.CheckpointPath, dir, out string sourceKind);
        var exported = Predictions(onnx, dir, out string exportedKind);
        Assert.Equal(("checkpoint", "checkpoint"), (sourceKind, exportedKind));
        Assert.Equal(12, exported.Count);
        for (int i = 0; i < source.Count; i++)
        {
            var (s, e) = (source[i].GetProperty("prediction"), exported[i].GetProperty("prediction"));
            Assert.Equal(source[i].GetProperty("image").GetProperty("file").GetString(), exported[i].GetProperty("image").GetProperty("file").GetString());
            Assert.Equal(s.GetProperty("class").GetInt32(), e.GetProperty("class").GetInt32());
            Assert.Equal(s.GetProperty("name").GetString(), e.GetProperty("name").GetString());
            Assert.Equal(s.GetProperty("probability").GetDouble(), e.GetProperty("probability").GetDouble(), Tolerance);
            var (se, ee) = (source[i].GetProperty("early_decoders"), exported[i].GetProperty("early_decoders"));
            Assert.Equal(3, ee.GetArrayLength());
            for (int b = 0; b < 3; b++)
            {
                Assert.Equal(se[b].GetProperty("block_index").GetInt32(), ee[b].GetProperty("block_index").GetInt32());
                Assert.Equal(se[b].GetProperty("class").GetInt32(), ee[b].GetProperty("class").GetInt32());
                Assert.Equal(se[b].GetProperty("confidence").GetDouble(), ee[b].GetProperty("confidence").GetDouble(), Tolerance);
            }
        }

        // The table output names the same kind and architecture.
        (code, stdout, stderr) = Crx("predict", "--model", onnx, dir);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{onnx}: checkpoint ", stdout);
    }

    [Fact]
    public void Predict_with_an_exported_binary_classifier_matches_predict_with_the_classifier_file()
    {
        string classifier = model.NewPath(".crxb"), onnx = model.NewPath(".onnx");
        var (code, _, stderr) = Crx("extract", "--checkpoint", model.CheckpointPath, "--class", "Sandal", "--out", classifier,
            "--data-dir", model.DataDir, "--threshold-samples", "200");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Crx("export", "--format", "onnx", classifier, "--out", onnx);
        Assert.True(code == 0, stderr);
        using (var session = new InferenceSession(onnx))
            Assert.Equal([OnnxExport.Logits], session.OutputMetadata.Keys);

        string dir = PredictionTests.WriteValidationPngs(model, 12);
        var source = Predictions(classifier, dir, out string sourceKind);
        var exported = Predictions(onnx, dir, out string exportedKind);
        Assert.Equal(("binary-classifier", "binary-classifier"), (sourceKind, exportedKind));
        for (int i = 0; i < source.Count; i++)
        {
            var (s, e) = (source[i].GetProperty("decisions")[0], exported[i].GetProperty("decisions")[0]);
            Assert.Equal((5, "Sandal"), (e.GetProperty("class").GetInt32(), e.GetProperty("name").GetString()));
            Assert.Equal(s.GetProperty("threshold").GetDouble(), e.GetProperty("threshold").GetDouble());
            Assert.Equal(s.GetProperty("score").GetDouble(), e.GetProperty("score").GetDouble(), Tolerance);
            Assert.Equal(s.GetProperty("yes").GetBoolean(), e.GetProperty("yes").GetBoolean());
        }
    }

    [Fact]
    public void Export_errors_are_one_line_naming_the_flag_or_the_file()
    {
        string taken = model.NewPath(".onnx");
        File.WriteAllText(taken, "already here");
        var (code, _, stderr) = Crx("export", "--format", "onnx", model.CheckpointPath, "--out", taken);
        Assert.Equal((2, $"crx: error: --out: {taken} already exists; choose another path or delete it"), (code, stderr.TrimEnd()));
        Assert.Equal("already here", File.ReadAllText(taken));

        string fresh = model.NewPath(".onnx");
        (code, _, stderr) = Crx("export", "--format", "tflite", model.CheckpointPath, "--out", fresh);
        Assert.Equal((2, "crx: error: --format: 'tflite' is not a known format (official, onnx)"), (code, stderr.TrimEnd()));
        Assert.False(File.Exists(fresh));

        string missing = model.NewPath(".ckpt");
        (code, _, stderr) = Crx("export", "--format", "onnx", missing, "--out", fresh);
        Assert.Equal((2, $"crx: error: {missing}: does not exist"), (code, stderr.TrimEnd()));

        string dir = PredictionTests.WriteValidationPngs(model, 1);
        (code, _, stderr) = Crx("predict", "--model", taken, dir);
        Assert.Equal(2, code);
        Assert.StartsWith($"crx: error: {taken}: not an ONNX graph crx export writes: ", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void An_int8_export_is_calibrated_on_the_data_given_said_so_by_info_and_predicts_as_the_float_file_on_most_images()
    {
        string float32 = model.NewPath(".onnx"), int8 = model.NewPath(".onnx");
        var (code, _, stderr) = Crx("export", "--format", "onnx", model.CheckpointPath, "--out", float32);
        Assert.True(code == 0, stderr);
        (code, var stdout, stderr) = Crx("export", "--format", "onnx", "--quantize", "int8", "--calibration-data", model.DataDir,
            "--calibration-images", "64", model.CheckpointPath, "--out", int8);
        Assert.True(code == 0, stderr);
        Assert.Contains($"calibrated: percentile 99.99 on 64 images of the fashion-mnist training set in {model.DataDir} (seed 1)", stdout);

        (code, stdout, stderr) = Crx("info", int8);
        Assert.True(code == 0, stderr);
        Assert.Contains("an ONNX file (checkpoint)", stdout);
        Assert.Contains("int8", stdout);
        Assert.Contains("calibrated: percentile 99.99 on 64 images", stdout);
        (code, stdout, _) = Crx("info", float32, "--json");
        Assert.Equal("float32", JsonDocument.Parse(stdout).RootElement.GetProperty("onnx").GetProperty("precision").GetString());

        string dir = PredictionTests.WriteValidationPngs(model, 24);
        var a = Predictions(float32, dir, out _);
        var b = Predictions(int8, dir, out string kind);
        Assert.Equal("checkpoint", kind);
        int same = a.Zip(b).Count(p => p.First.GetProperty("prediction").GetProperty("class").GetInt32() == p.Second.GetProperty("prediction").GetProperty("class").GetInt32());
        Assert.True(same >= 21, $"int8 agrees with float on {same} of 24 images");
        Assert.All(b, p => Assert.Equal(3, p.GetProperty("early_decoders").GetArrayLength()));

        // No calibration images where it was told to look: one line naming the flag, no file.
        string empty = Directory.CreateDirectory(model.NewPath("")).FullName, refused = model.NewPath(".onnx");
        (code, _, stderr) = Crx("export", "--format", "onnx", "--quantize", "int8", "--calibration-data", empty, model.CheckpointPath, "--out", refused);
        Assert.Equal(2, code);
        Assert.StartsWith($"crx: error: --calibration-data: int8 needs calibration images, and the fashion-mnist training set in {empty} cannot be read", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(refused));
        (code, _, stderr) = Crx("export", "--format", "onnx", "--calibration-images", "10", model.CheckpointPath, "--out", refused);
        Assert.Equal((2, "crx: error: --quantize: the calibration flags need --quantize int8"), (code, stderr.TrimEnd()));
    }

    private static List<JsonElement> Predictions(string modelPath, string dir, out string kind)
    {
        var (code, stdout, stderr) = Crx("predict", "--model", modelPath, dir, "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        kind = root.GetProperty("kind").GetString()!;
        return root.GetProperty("predictions").EnumerateArray().ToList();
    }

    private static (int Code, string Out, string Err) Crx(params string[] args) => CrxProcess.Run(Path.GetTempPath(), args);
}
