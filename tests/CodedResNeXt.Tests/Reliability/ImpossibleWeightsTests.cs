using CodedResNeXt.Interop;
using CodedResNeXt.Tests.Interop;
using CodedResNeXt.Tests.TestSupport;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31, statistics that cannot be: weights that are NaN or infinite (a diverged run) and batch normalization
/// variances below 0 (no run at all) are refused by import, as load refuses them, instead of importing with exit 0
/// and failing (or predicting "airplane NaN") later.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ImpossibleWeightsTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    /// <summary>The official CIFAR-10 weights with <paramref name="name"/>'s first value replaced by <paramref name="value"/>, as safetensors.</summary>
    private string Official(string name, float value)
    {
        var tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors[name] = tensors[name].clone();
        tensors[name].view(-1)[0] = tensor(value);
        string path = fixture.NewPath("official-") + ".safetensors";
        SafeTensors.Save(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    [Theory]
    [InlineData("net_list.0.weight", float.NaN, "tensor stem.conv.weight holds non-finite values (NaN or infinity); the model it saved had diverged")]
    [InlineData("net_list.4.bn_reduce.weight", float.PositiveInfinity, "tensor blocks.1.bn_reduce.weight holds non-finite values (NaN or infinity); the model it saved had diverged")]
    [InlineData("net_list.6.bn_expand.running_var", -1f, "tensor blocks.3.bn_expand.running_var holds negative variances, which no training produces (batch normalization would compute NaN)")]
    public void Import_refuses_weights_that_load_would_refuse(string name, float value, string problem)
    {
        string weights = Official(name, value), output = fixture.NewPath("imported-") + ".ckpt";

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "import", "--from", "official", "--arch", "cifar10", weights, "--out", output);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {weights}: {problem}", OneLine(error));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_Lightning_checkpoint_with_a_NaN_weight_is_refused_by_import()
    {
        // The fixture's network as a torch.save of its state_dict, one NaN in the classifier.
        var tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors["net_list.14.weight"] = tensors["net_list.14.weight"].clone();
        tensors["net_list.14.weight"][3, 5] = tensor(float.NaN);
        string path = fixture.NewPath("lightning-") + ".ckpt";
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(path, new System.Collections.Hashtable(tensors));

        var e = Assert.Throws<InvalidInputException>(() => OfficialModelFile.Import(path, "cifar10", fixture.NewPath("out-") + ".ckpt", WeightsFormat.Lightning));

        Assert.Equal($"{path}: tensor classifier.weight holds non-finite values (NaN or infinity); the model it saved had diverged", e.Message);
    }

    [Theory]
    [InlineData("nan", "meta.json's threshold of class 3 is NaN, which no fit gives")]
    [InlineData("extra", "meta.json's classifier section has 2 thresholds and 1 class names for the network's 1 outputs")]
    public void A_classifier_whose_thresholds_no_fit_gives_is_refused_not_predicted(string damage, string problem)
    {
        string classifier = fixture.NewPath("three-") + ".crxb";
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "extract", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir,
            "--class", "3", "--out", classifier);
        Assert.True(code == 0, error);
        var meta = System.Text.Json.Nodes.JsonNode.Parse(ZipEntries.Read(classifier, "meta.json"))!;
        var thresholds = meta["classifier"]!["thresholds"]!.AsArray();
        if (damage == "nan") thresholds[0]!["threshold"] = "NaN";
        else thresholds.Add(thresholds[0]!.DeepClone());
        string damaged = fixture.NewPath("damaged-") + ".crxb";
        ZipEntries.Replace(classifier, damaged, "meta.json", System.Text.Encoding.UTF8.GetBytes(meta.ToJsonString()));
        string image = fixture.NewPath("image-") + ".png";
        using (var bitmap = new SkiaSharp.SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);

        (code, var output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", damaged, image);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Equal($"crx: error: {damaged}: {problem}", OneLine(error));
    }

    [Fact]
    public void A_stored_calibration_that_is_not_for_the_networks_blocks_is_refused()
    {
        // One threshold short: early-exit prediction read past its end (an unhandled exception).
        string checkpoint = fixture.NewPath("calibrated-") + ".ckpt";
        File.Copy(fixture.Checkpoint, checkpoint);
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", checkpoint, "--data-dir", fixture.DataDir,
            "--early-exit", "0.9", "--store-calibration", "--calibration-images", "50");
        Assert.True(code == 0, error);
        var meta = System.Text.Json.Nodes.JsonNode.Parse(ZipEntries.Read(checkpoint, "meta.json"))!;
        meta["early_exit"]![0]!["thresholds"]!.AsArray().RemoveAt(0);
        string damaged = fixture.NewPath("short-") + ".ckpt";
        ZipEntries.Replace(checkpoint, damaged, "meta.json", System.Text.Encoding.UTF8.GetBytes(meta.ToJsonString()));
        string image = fixture.NewPath("image-") + ".png";
        using (var bitmap = new SkiaSharp.SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);

        (code, var output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", damaged, image, "--early-exit", "0.9");

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Equal($"crx: error: {damaged}: meta.json's early-exit calibration is not one for this network's coded blocks (one finite threshold or none per block)",
            OneLine(error));
    }

    [Fact]
    public void A_checkpoint_with_a_negative_running_variance_is_refused_not_predicted_as_NaN()
    {
        // The fixture's checkpoint with one BN variance below 0: BN takes its square root, every prediction was NaN.
        string damaged = fixture.NewPath("negative-var-") + ".ckpt";
        var weights = SafeTensors.Load(new MemoryStream(ZipEntries.Read(fixture.Checkpoint, "model.safetensors")), "model.safetensors");
        weights["blocks.0.bn.running_var"] = weights["blocks.0.bn.running_var"].neg();
        var bytes = new MemoryStream();
        SafeTensors.Save(bytes, weights);
        ZipEntries.Replace(fixture.Checkpoint, damaged, "model.safetensors", bytes.ToArray());
        string image = fixture.NewPath("image-") + ".png";
        using (var bitmap = new SkiaSharp.SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", damaged, image);

        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Equal($"crx: error: {damaged}: tensor blocks.0.bn.running_var holds negative variances, which no training produces (batch normalization would compute NaN)",
            OneLine(error));
        Assert.DoesNotContain("NaN", output);
    }
}
