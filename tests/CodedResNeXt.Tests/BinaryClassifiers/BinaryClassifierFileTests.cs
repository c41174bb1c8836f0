using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using System.IO.Compression;
using System.Text.Json;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.BinaryClassifiers;

[Collection(TrainedTinyModelCollection.Name)]
public class BinaryClassifierFileTests(TrainedTinyModel model)
{
    [Fact]
    public void A_saved_classifier_loads_back_with_the_same_outputs_threshold_and_description()
    {
        string path = model.NewPath(".crxb");
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using var _ = network;
        using var saved = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [5, 0], model.Data.Train);
        BinaryClassifierFile.Save(path, saved);
        using var loaded = BinaryClassifierFile.Load(path);

        Assert.False(loaded.Network.training);
        Assert.False(File.Exists(path + ".tmp"));
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var x = TrainedTinyModel.Normalized(model.Data.Validation, info.Normalization);
            Assert.True(saved.Network.call(x).Logits.equal(loaded.Network.call(x).Logits).all().item<bool>());
        }
        var a = saved.Info;
        var b = loaded.Info;
        Assert.Equal(a.Thresholds, b.Thresholds);
        Assert.Equal([5, 0], b.KeptClasses);
        Assert.Equal(["Sandal", "T-shirt/top"], b.KeptClassNames);
        Assert.Equal(info.ClassNames, b.ClassNames);
        Assert.Equal(info.Normalization.Mean, b.Normalization.Mean);
        Assert.Equal(info.Normalization.Std, b.Normalization.Std);
        Assert.Equal(a.ParameterCount, b.ParameterCount);
        Assert.Equal(loaded.Network.ParameterCount, b.ParameterCount);
        Assert.Equal(network.ParameterCount, b.FullParameterCount);
        Assert.Equal(Path.GetFullPath(model.CheckpointPath), b.Classifier.SourceCheckpoint);
        Assert.Equal("fashion-mnist", b.Model.Dataset);
        Assert.Equal(a.Architecture.Blocks.Select(k => k.KeptSubNNs), b.Architecture.Blocks.Select(k => k.KeptSubNNs));
        Assert.Equal(BuiltInSchemes.Get("cifar10/3/10").ToStrings(), b.Model.Schemes["cifar10/3/10"]);

        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(["meta.json", "model.safetensors"], zip.Entries.Select(e => e.FullName).Order());
        using var meta = JsonDocument.Parse(zip.GetEntry("meta.json")!.Open());
        Assert.Equal("binary-classifier", meta.RootElement.GetProperty("kind").GetString());
        Assert.Equal(b.ParameterFraction, meta.RootElement.GetProperty("classifier").GetProperty("parameter_fraction").GetDouble(), 12);
        Assert.Equal(2, meta.RootElement.GetProperty("architecture").GetProperty("kept_classes").GetArrayLength());
    }

    [Fact]
    public void Model_files_tell_their_kind_and_anything_else_is_named_as_not_a_model_file()
    {
        string extracted = model.NewPath(".crxb");
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using (network)
        using (var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [9], model.Data.Train))
            BinaryClassifierFile.Save(extracted, binary);

        Assert.Equal(Checkpoint.Kind, ModelFile.ReadMetadata(model.CheckpointPath).Kind);
        Assert.Equal(BinaryClassifierFile.Kind, ModelFile.ReadMetadata(extracted).Kind);

        string text = model.NewPath(".txt");
        File.WriteAllText(text, "hello");
        Assert.Equal($"{text}: not a model file (not a zip archive)",
            Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(text)).Message);

        string empty = Zip(("weights.bin", "x"));
        Assert.Equal($"{empty}: not a model file (no meta.json inside)",
            Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(empty)).Message);

        string other = Zip(("meta.json", "{\"name\": \"something else\"}"));
        Assert.StartsWith($"{other}: meta.json is not valid:", Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(other)).Message);

        string missing = model.NewPath(".crxb");
        var absent = Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(missing));
        Assert.Equal((missing, "does not exist"), (absent.File, absent.Problem));

        var checkpoint = Assert.Throws<InvalidInputException>(() => BinaryClassifierFile.Load(model.CheckpointPath));
        Assert.Equal($"{model.CheckpointPath}: a training checkpoint, not an extracted classifier (make one with crx extract)", checkpoint.Message);
    }

    private string Zip(params (string Name, string Content)[] entries)
    {
        string path = model.NewPath(".zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            using var writer = new StreamWriter(zip.CreateEntry(name).Open());
            writer.Write(content);
        }
        return path;
    }
}
