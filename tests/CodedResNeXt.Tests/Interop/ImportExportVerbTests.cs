using System.Text.Json;
using CodedResNeXt.Interop;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Interop;

/// <summary>`crx import --from official` and `crx export --format official` as processes, on the authors' CIFAR-10 fixture.</summary>
public sealed class ImportExportVerbTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Import_then_predict_and_export_and_neither_overwrites()
    {
        string model = _tmp["official.ckpt"];
        string[] import = ["import", "--from", "official", "--arch", "cifar10", OfficialFixture.Weights, "--out", model];
        var (code, _, error) = CrxProcess.Run(_tmp.Path, import);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(model));

        (code, _, error) = CrxProcess.Run(_tmp.Path, import);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --out: {model} already exists; choose another path or delete it", error.Trim());

        // predict reads the imported checkpoint: its classes are the argmax of the authors' logits.
        var (predictCode, output, predictError) = CrxProcess.Run(_tmp.Path, "predict", "--model", model, Path.Combine(OfficialFixture.Directory, "images"), "--json");
        Assert.True(predictCode == 0, predictError);
        using var json = JsonDocument.Parse(output);
        var predicted = json.RootElement.GetProperty("predictions").EnumerateArray()
            .ToDictionary(p => Path.GetFileName(p.GetProperty("image").GetProperty("file").GetString()!), p => p.GetProperty("prediction").GetProperty("class").GetInt32());
        var expected = OfficialFixture.Read().Images;
        Assert.Equal(expected.Count, predicted.Count);
        foreach (var image in expected)
            Assert.Equal(Array.IndexOf(image.Logits, image.Logits.Max()), predicted[Path.GetFileName(image.File)]);

        string exported = _tmp["back.safetensors"];
        (code, _, error) = CrxProcess.Run(_tmp.Path, "export", "--format", "official", model, "--out", exported);
        Assert.True(code == 0, error);
        Assert.Equal(SafeTensors.Load(OfficialFixture.Weights).Keys.Order(), SafeTensors.Load(exported).Keys.Order());
        (code, _, error) = CrxProcess.Run(_tmp.Path, "export", "--format", "official", model, "--out", exported);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --out: {exported} already exists; choose another path or delete it", error.Trim());
    }

    [Fact]
    public void An_imported_model_cannot_be_resumed()
    {
        string run = _tmp["run"];
        Directory.CreateDirectory(run);
        File.Copy(OfficialFixture.Imported, Path.Combine(run, "last.ckpt"));
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--resume", "--out", run);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --resume: {Path.Combine(run, "last.ckpt")} holds weights only (an imported model: no optimizer or generator state); start a new run from it with --init-from",
            error.Trim());
    }

    [Theory]
    [InlineData("import --from authors --arch cifar10 FIXTURE --out OUT", "crx: error: --from: 'authors' is not a known source (official, lightning)")]
    [InlineData("import --from official --arch imagenet FIXTURE --out OUT", "crx: error: FIXTURE: tensor 'net_list.0.weight' has shape [64, 3, 3, 3] in the file but the imagenet architecture needs [64, 3, 7, 7]")]
    [InlineData("import --from official --arch nonesuch FIXTURE --out OUT", "crx: error: --arch: 'nonesuch' is neither a preset")]
    [InlineData("import --from official --arch cifar10 LIGHTNING --out OUT", "crx: error: LIGHTNING: a PyTorch/Lightning checkpoint (a torch.save zip), not safetensors; import it with --from lightning")]
    [InlineData("import --from lightning --arch cifar10 FIXTURE --out OUT", "crx: error: FIXTURE: not a PyTorch/Lightning checkpoint this program reads: not a zip archive")]
    [InlineData("import --from lightning --arch cifar10 HOSTILE --out OUT", "crx: error: HOSTILE: not a PyTorch/Lightning checkpoint this program reads: its pickle calls posix.system, which is neither a tensor nor a container; refused without running it")]
    [InlineData("import --from lightning --arch cifar100 LIGHTNING --out OUT", "crx: error: LIGHTNING: tensor 'net_list.3.conv_reduce.weight' has shape [110, 64, 1, 1] in the file but the cifar100 architecture needs [120, 64, 1, 1]")]
    [InlineData("import --from official --arch cifar100 FIXTURE --out OUT", "crx: error: FIXTURE: tensor 'net_list.3.conv_reduce.weight' has shape [110, 64, 1, 1] in the file but the cifar100 architecture needs [120, 64, 1, 1]")]
    [InlineData("import --from official --arch cifar10 CHECKPOINT --out OUT", "crx: error: CHECKPOINT: a zip archive (a checkpoint of ours?), not safetensors")]
    [InlineData("export --format tflite CHECKPOINT --out OUT", "crx: error: --format: 'tflite' is not a known format (official, onnx)")]
    [InlineData("export --format official MISSING --out OUT", "crx: error: MISSING: does not exist")]
    public void Bad_input_gets_one_line(string command, string expected)
    {
        string Fill(string s) => s.Replace("FIXTURE", OfficialFixture.Weights).Replace("CHECKPOINT", OfficialFixture.Imported)
            .Replace("LIGHTNING", LightningFixture.Checkpoint).Replace("HOSTILE", LightningFixture.Hostile)
            .Replace("MISSING", _tmp["missing.ckpt"]).Replace("OUT", _tmp["out"]);
        var (code, _, error) = CrxProcess.Run(_tmp.Path, Fill(command).Split(' '));
        Assert.Equal(2, code);
        Assert.StartsWith(Fill(expected), error.Trim());
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(_tmp["out"]));
    }
}
