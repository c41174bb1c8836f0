using CodedResNeXt.Prediction;
using CodedResNeXt.ModelFiles;
using System.IO.Compression;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Interop;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Interop;

/// <summary>The authors' Lightning checkpoint in (TorchCheckpoint, crx import --from lightning, crx info), and pickles that must be refused.</summary>
public sealed class LightningCheckpointTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void The_state_dict_of_the_Lightning_checkpoint_is_the_official_fixture_bit_for_bit()
    {
        var fromLightning = TorchCheckpoint.ReadStateDict(LightningFixture.Checkpoint);
        var official = SafeTensors.Load(OfficialFixture.Weights);
        Assert.Equal(196, fromLightning.Count);
        Assert.Equal(official.Keys.Order(StringComparer.Ordinal), fromLightning.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in official)
        {
            Assert.True(t.dtype == fromLightning[name].dtype, $"{name}: {fromLightning[name].dtype}, not {t.dtype}");
            Assert.Equal(t.shape, fromLightning[name].shape);
            Assert.True(t.bytes.SequenceEqual(fromLightning[name].bytes), $"{name}: the bytes differ");
        }
    }

    [Fact]
    public void Importing_the_Lightning_checkpoint_reproduces_the_authors_logits_and_probabilities()
    {
        string model = _tmp["lightning.ckpt"];
        OfficialModelFile.Import(LightningFixture.Checkpoint, "cifar10", model, WeightsFormat.Lightning);
        var expected = OfficialFixture.Read();
        var (network, info) = Checkpoint.Load(model);
        using var _ = network;
        var files = expected.Images.Select(i => i.File).ToList();
        var (images, _) = InputImages.Load(files, 3, 32, info.ClassNames);
        var batch = BatchLoader.ForEvaluation(images, info.Normalization, files.Count).Epoch(0).Single();
        var (x, _) = batch.ToTensors();
        using var noGrad = no_grad();
        var logits = network.call(x).Logits.to(float64);
        var probabilities = logits.softmax(1);

        double worstLogit = 0, worstProbability = 0;
        for (int row = 0; row < batch.Count; row++)
        {
            var want = tensor(expected.Images[batch.Indices[row]].Logits.Select(v => (double)v).ToArray());
            worstLogit = Math.Max(worstLogit, logits[row].sub(want).abs().max().item<double>());
            worstProbability = Math.Max(worstProbability, probabilities[row].sub(want.softmax(0)).abs().max().item<double>());
        }
        output.WriteLine($"max |logit difference| {worstLogit:G3}, max |probability difference| {worstProbability:G3} over {batch.Count} images");
        Assert.True(worstLogit < 1e-4, $"logits differ by up to {worstLogit:G3}");
        Assert.True(worstProbability < 1e-5, $"probabilities differ by up to {worstProbability:G3}");
    }

    [Fact]
    public void Imported_in_memory_the_Lightning_checkpoint_predicts_the_authors_logits_and_saves_the_file_crx_import_writes()
    {
        var expected = OfficialFixture.Read();
        using var model = CodedResNeXtModel.Import(LightningFixture.Checkpoint, "cifar10", WeightsFormat.Lightning);
        Assert.Equal("airplane", model.ClassNames[0]);
        var files = expected.Images.Select(i => i.File).ToList();
        using var predictor = model.Predictor();
        var predicted = predictor.Predict(files);
        double worst = predicted.Select((p, i) => p.Logits!.Zip(expected.Images[i].Logits, (a, b) => Math.Abs(a - (double)b)).Max()).Max();
        Assert.True(worst < 1e-4, $"logits differ by up to {worst:G3}");

        // Saved, it is the checkpoint crx import writes: the same metadata and weights.
        string saved = _tmp["in-memory.ckpt"], imported = _tmp["imported.ckpt"];
        model.Save(saved);
        OfficialModelFile.Import(LightningFixture.Checkpoint, "cifar10", imported, WeightsFormat.Lightning);
        Assert.Equal(ZipEntries.Read(imported, "model.safetensors"), ZipEntries.Read(saved, "model.safetensors"));
        string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, ModelFile.Json);
        Assert.Equal(Json(ModelFile.ReadMetadata(imported) with { Sections = null }), Json(ModelFile.ReadMetadata(saved) with { Sections = null }));
        Assert.Equal(Json(Checkpoint.ReadInfo(imported).Options), Json(Checkpoint.ReadInfo(saved).Options));
    }

    [Fact]
    public void The_hostile_pickle_is_refused_in_one_line_naming_the_file_and_runs_nothing()
    {
        File.Delete(LightningFixture.Marker);
        var e = Assert.Throws<InvalidInputException>(() => TorchCheckpoint.ReadStateDict(LightningFixture.Hostile));
        Assert.Equal($"{LightningFixture.Hostile}: not a PyTorch/Lightning checkpoint this program reads: " +
                     "its pickle calls posix.system, which is neither a tensor nor a container; refused without running it", e.Message);
        Assert.Throws<InvalidInputException>(() => TorchCheckpoint.ReadSummary(LightningFixture.Hostile));
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "info", LightningFixture.Hostile);
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(LightningFixture.Marker), "the hostile pickle's command ran");
    }

    [Fact]
    public void Info_shows_epoch_step_and_the_Lightning_version()
    {
        var summary = TorchCheckpoint.ReadSummary(LightningFixture.Checkpoint);
        Assert.Equal(89, summary.Epoch);
        Assert.Equal(8820, summary.GlobalStep);
        Assert.Equal("1.5.10", summary.LightningVersion);
        Assert.Equal(196, summary.Tensors);
        Assert.Contains("optimizer_states", summary.Keys);
        var (code, text, error) = CrxProcess.Run(_tmp.Path, "info", LightningFixture.Checkpoint);
        Assert.True(code == 0, error);
        Assert.Contains("PyTorch Lightning 1.5.10", text);
        Assert.Contains("epoch 89, global step 8820, 196 tensors", text);
    }

    [Fact]
    public void Import_from_lightning_as_a_process_then_a_new_run_can_start_from_it_but_not_resume()
    {
        string model = _tmp["imported.ckpt"];
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "import", "--from", "lightning", "--arch", "cifar10", LightningFixture.Checkpoint, "--out", model);
        Assert.True(code == 0, error);
        Assert.False(Checkpoint.CanResume(model));
        // The imported weights are the official fixture's: exporting gives back its tensors.
        string exported = _tmp["back.safetensors"];
        OfficialModelFile.Export(model, exported);
        var back = SafeTensors.Load(exported);
        var official = SafeTensors.Load(OfficialFixture.Weights);
        Assert.All(official, p => Assert.True(p.Value.bytes.SequenceEqual(back[p.Key].bytes), p.Key));
    }

    [Fact]
    public void A_bare_state_dict_saved_by_torch_save_is_read_too()
    {
        // PyBridge's pickler writes torch.save's zip format for a state_dict (no Lightning wrapper).
        var official = SafeTensors.Load(OfficialFixture.Weights);
        string path = _tmp["state_dict.pt"];
        PyTorchPickler.PickleStateDict(path, new System.Collections.Hashtable(official));
        var read = TorchCheckpoint.ReadStateDict(path);
        Assert.Equal(official.Count, read.Count);
        Assert.All(official, p => Assert.True(p.Value.bytes.SequenceEqual(read[p.Key].bytes), p.Key));
        Assert.Null(TorchCheckpoint.ReadSummary(path).Epoch);
    }

    [Fact]
    public void A_DDP_wrapper_prefix_and_a_model_entry_are_understood()
    {
        var official = SafeTensors.Load(OfficialFixture.Weights);
        var wrapped = new System.Collections.Hashtable();
        foreach (var (name, t) in official) wrapped["module." + name] = t;
        string ddp = _tmp["ddp.pt"];
        PyTorchPickler.PickleStateDict(ddp, wrapped);
        Assert.Equal(official.Keys.Order(StringComparer.Ordinal), TorchCheckpoint.ReadStateDict(ddp).Keys.Order(StringComparer.Ordinal));

        string nested = _tmp["nested.pt"];
        PyTorchPickler.PickleStateDict(nested, new System.Collections.Hashtable { ["epoch"] = 3, ["model"] = new System.Collections.Hashtable(official) });
        var read = TorchCheckpoint.ReadStateDict(nested);
        Assert.All(official, p => Assert.True(p.Value.bytes.SequenceEqual(read[p.Key].bytes), p.Key));
        Assert.Equal(3, TorchCheckpoint.ReadSummary(nested).Epoch);
    }

    /// <summary>A copy of new_exp.ckpt whose pickle has <paramref name="from"/> replaced by <paramref name="to"/> (same length) at its first occurrence.</summary>
    private string PatchedPickle(byte[] from, byte[] to)
    {
        byte[] pickle = ZipEntries.Read(LightningFixture.Checkpoint, "new_exp/data.pkl");
        int at = pickle.AsSpan().IndexOf(from);
        Assert.True(at >= 0, "the pattern is not in the pickle");
        to.CopyTo(pickle, at);
        string path = _tmp[$"patched-{Guid.NewGuid():N}.ckpt"];
        ZipEntries.Replace(LightningFixture.Checkpoint, path, "new_exp/data.pkl", pickle);
        return path;
    }

    private static string ProblemOf(string path)
    {
        var e = Assert.Throws<InvalidInputException>(() => TorchCheckpoint.ReadStateDict(path));
        Assert.DoesNotContain('\n', e.Message);
        string prefix = $"{path}: not a PyTorch/Lightning checkpoint this program reads: ";
        Assert.StartsWith(prefix, e.Message);
        return e.Message[prefix.Length..];
    }

    [Fact]
    public void A_tensor_larger_than_its_storage_is_refused_before_anything_is_allocated()
    {
        // net_list.0.weight: shape (64, 3, 3, 3) over storage 0 of 1728 floats; 255 x 3 x 3 x 3 does not fit.
        string path = PatchedPickle([(byte)'(', (byte)'K', 64, (byte)'K', 3, (byte)'K', 3, (byte)'K', 3, (byte)'t'],
                                    [(byte)'(', (byte)'K', 255, (byte)'K', 3, (byte)'K', 3, (byte)'K', 3, (byte)'t']);
        Assert.Equal("a tensor of storage 0 with shape [255, 3, 3, 3] at offset 0 does not fit in its 1728 elements", ProblemOf(path));
    }

    [Fact]
    public void A_storage_whose_declared_size_is_not_its_entry_is_refused()
    {
        // Storage 0's element count, BININT2 1728, becomes 65535.
        string path = PatchedPickle([(byte)'M', 0xc0, 0x06], [(byte)'M', 0xff, 0xff]);
        Assert.Equal("storage 0 declares 65535 elements of 4 bytes but its entry holds 6912 bytes", ProblemOf(path));
    }

    [Fact]
    public void A_pickle_that_inflates_beyond_the_limit_is_refused_while_inflating()
    {
        string path = _tmp["bomb.ckpt"];
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var pickle = zip.CreateEntry("bomb/data.pkl", CompressionLevel.SmallestSize).Open())
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i <= TorchCheckpoint.MaxPickleBytes >> 20; i++) pickle.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        Assert.Contains($"bomb/data.pkl declares {TorchCheckpoint.MaxPickleBytes + (1 << 20)} bytes, more than the {TorchCheckpoint.MaxPickleBytes}", ProblemOf(path));
    }

    [Fact]
    public void A_pickle_that_is_not_a_checkpoint_is_named()
    {
        // "state_dict" renamed: the dict is neither a Lightning checkpoint nor a state_dict.
        string path = PatchedPickle("state_dict"u8.ToArray(), "state_dicX"u8.ToArray());
        Assert.Equal("it has no \"state_dict\" (a Lightning checkpoint) and is not a state_dict itself", ProblemOf(path));
        string notZip = _tmp["plain.ckpt"];
        File.WriteAllText(notZip, "not a zip");
        Assert.StartsWith("not a zip archive", ProblemOf(notZip));
    }
}
