using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace CodedResNeXt.Tests.Data;

/// <summary>
/// One record of a model's input (<see cref="InputTransform"/>), written by training and read by every path: a
/// folder-trained model with a resize other than the default answers the same through Evaluate, Predict(files), a
/// saved and reloaded file, and ONNX Runtime fed by a user's own code that follows the record.
/// </summary>
public sealed class InputTransformTests : IDisposable
{
    private const int Side = 28;
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private (CodedResNeXtModel Model, TrainingData Data) TrainOnFolder()
    {
        string root = _tmp["images"];
        ImageFolders.Write(root, classes: 10, train: 4, val: 3, side: Side);
        // 28x28 files evaluated as they are: resize 28, not the default 32 (28 x 256/224).
        var data = TrainingData.From(DatasetRegistry.Load("folder", new DatasetOptions { DataDir = root, ImageSize = Side, ResizeSize = Side }), []);
        var options = TrainingOptions.For("folder", Side) with
        {
            Architecture = ImageFolders.ArchitectureFile(_tmp.Path, Side), Epochs = 1, BatchSize = 10, WarmupEpochs = 0, Seed = 5,
        };
        Assert.Equal(32, options.Folder!.Resize); // the options' default, which the predictor used to take
        return (CodedResNeXtModel.Train(data, options, new TrainingSetup { Workers = 1 }), data);
    }

    [Fact]
    public void A_folder_model_gives_the_same_answer_through_evaluate_predict_a_saved_file_and_onnx_runtime()
    {
        var (model, data) = TrainOnFolder();
        using var _ = model;
        Assert.Equal(new InputTransform(3, Side, Side, 1.0 / 255, data.Normalization), model.Metadata.Input);

        var files = data.Validation.Files!.Paths;
        var labels = data.Validation.Labels;
        using var predictor = model.Predictor();
        var predicted = predictor.Predict(files);
        // Evaluate and Predict(files) agree image by image, so on accuracy too.
        double accuracy = predicted.Select((p, i) => p.Prediction!.Class == labels[i] ? 1.0 : 0.0).Average();
        Assert.Equal(model.Evaluate(data.Validation).Classification.Top1, accuracy, 12);
        Assert.All(predicted, p => Assert.False(p.Image.Resized)); // 28x28 files, resize 28: nothing changes them

        // A streamed validation set loaded with other sizes is refitted to the model's record.
        var other = DatasetRegistry.Load("folder", new DatasetOptions { DataDir = _tmp["images"], ImageSize = Side }).Test;
        Assert.Equal(model.Evaluate(data.Validation).Classification.Top1, model.Evaluate(other).Classification.Top1, 12);

        // Saved and loaded back, the file predicts the same logits.
        string checkpoint = _tmp["model.ckpt"];
        model.Save(checkpoint);
        using (var loaded = PredictionModel.Load(checkpoint))
            AssertSameLogits(predicted, loaded.Predict(files), 1e-6);

        // ONNX Runtime, its input made by a user's own code from the file's crx.input (SkiaSharp decodes; the files are
        // already 28x28 and the record's resize is 28, so no resampling is involved).
        var meta = model.Metadata;
        byte[] onnx = OnnxModelExport.ToBytes(model.Network, OnnxMetadata.ToProperties(meta, "memory"), energies: true);
        using var session = new InferenceSession(onnx);
        var input = JsonNode.Parse(session.ModelMetadata.CustomMetadataMap[OnnxMetadata.InputKey])!;
        Assert.Equal(Side, (int)input["size"]!);
        Assert.Equal(Side, (int)input["resize"]!);
        double scale = (double)input["pixel_scale"]!;
        var mean = input["normalization"]!["mean"]!.AsArray().Select(v => (float)v!).ToArray();
        var std = input["normalization"]!["std"]!.AsArray().Select(v => (float)v!).ToArray();
        var fromOnnx = files.Select(file =>
        {
            using var bitmap = SKBitmap.Decode(file);
            var values = new float[3 * Side * Side];
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    var c = bitmap.GetPixel(x, y);
                    byte[] rgb = [c.Red, c.Green, c.Blue];
                    for (int ch = 0; ch < 3; ch++) values[ch * Side * Side + y * Side + x] = (float)((rgb[ch] * scale - mean[ch]) / std[ch]);
                }
            using var images = OrtValue.CreateTensorValueFromMemory(values, [1, 3, Side, Side]);
            using var run = new RunOptions();
            using var outputs = session.Run(run, ["images"], [images], [OnnxExport.Logits]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }).ToList();
        for (int i = 0; i < files.Count; i++)
            for (int k = 0; k < fromOnnx[i].Length; k++)
                Assert.True(Math.Abs(fromOnnx[i][k] - predicted[i].Logits![k]) <= 1e-4, $"image {i}, logit {k}: ONNX Runtime {fromOnnx[i][k]}, crx {predicted[i].Logits![k]}");
    }

    [Fact]
    public void A_checkpoint_written_before_the_record_takes_its_sizes_from_its_training_record()
    {
        var (model, _) = TrainOnFolder();
        string checkpoint = _tmp["old.ckpt"];
        using (model) model.Save(checkpoint);
        // The file as an earlier version wrote it: meta.json without "input".
        using (var zip = ZipFile.Open(checkpoint, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(ModelFile.MetaEntry)!;
            JsonObject meta;
            using (var reader = entry.Open()) meta = JsonNode.Parse(reader)!.AsObject();
            Assert.True(meta.Remove("input"));
            entry.Delete();
            using var writer = zip.CreateEntry(ModelFile.MetaEntry).Open();
            JsonSerializer.Serialize(writer, meta);
        }
        using var old = PredictionModel.Load(checkpoint);
        Assert.Null(old.Meta.Input);
        // The training record kept the options' folder sizes: resize 32, which the run's own data did not use.
        Assert.Equal(32, old.InputTransform.Resize);
        Assert.Equal(Side, old.InputTransform.Size);
    }

    private static void AssertSameLogits(IReadOnlyList<ImagePrediction> expected, IReadOnlyList<ImagePrediction> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            for (int k = 0; k < expected[i].Logits!.Count; k++)
                Assert.True(Math.Abs(expected[i].Logits![k] - actual[i].Logits![k]) <= tolerance, $"image {i}, logit {k}");
    }
}
