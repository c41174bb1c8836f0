using CodedResNeXt.ModelFiles;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Prediction;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Interop;

public sealed class OfficialLayoutTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void The_imported_fixture_computes_the_released_codes_logits_energies_and_early_decoder_confidences()
    {
        var expected = OfficialFixture.Read();
        var (network, info) = Checkpoint.Load(OfficialFixture.Imported);
        using var _ = network;
        // The checkpoint normalizes as the authors' data module did.
        Assert.Equal(expected.Mean, info.Normalization.Mean);
        Assert.Equal(expected.Std, info.Normalization.Std);
        Assert.Equal("cifar10", info.Dataset);
        Assert.Equal("airplane", info.ClassNames[0]);
        Assert.Equal(expected.CodedBlocks,
            network.CodedBlocks.Select(b => OfficialLayout.TheirName($"blocks.{b.BlockIndex}.bn_expand.weight", network.Architecture)[..^".bn_expand.weight".Length]));

        var files = expected.Images.Select(i => i.File).ToList();
        var (images, _) = InputImages.Load(files, 3, 32, info.ClassNames);
        var batch = BatchLoader.ForEvaluation(images, info.Normalization, files.Count).Epoch(0).Single();
        var (x, _) = batch.ToTensors();
        using var noGrad = no_grad();
        var output = network.call(x);
        var coded = network.CodedBlocks;
        var confidences = coded.Select((b, c) => EarlyDecoder.Confidence(output.BlockEnergies[c], b)).ToList();

        double worstLogit = 0, worstEnergy = 0, worstConfidence = 0;
        for (int row = 0; row < batch.Count; row++)
        {
            var want = expected.Images[batch.Indices[row]];
            worstLogit = Math.Max(worstLogit, MaxAbsDifference(output.Logits[row], want.Logits));
            for (int c = 0; c < coded.Count; c++)
            {
                worstEnergy = Math.Max(worstEnergy, MaxAbsDifference(output.BlockEnergies[c][row], want.Energies[c]));
                worstConfidence = Math.Max(worstConfidence, MaxAbsDifference(confidences[c][row], want.Confidences[c]));
            }
        }
        Assert.True(worstLogit < 1e-4, $"logits differ by up to {worstLogit:G3}");
        Assert.True(worstEnergy < 1e-5, $"energies differ by up to {worstEnergy:G3}");
        Assert.True(worstConfidence < 1e-5, $"early-decoder confidences differ by up to {worstConfidence:G3}");
    }

    [Fact]
    public void Exporting_the_imported_fixture_gives_back_the_original_tensors_bit_for_bit()
    {
        string exported = _tmp["back.safetensors"];
        OfficialModelFile.Export(OfficialFixture.Imported, exported);
        var original = SafeTensors.Load(OfficialFixture.Weights);
        var back = SafeTensors.Load(exported);
        Assert.Equal(original.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in original)
        {
            Assert.True(t.dtype == back[name].dtype, $"{name}: {t.dtype} became {back[name].dtype}");
            Assert.Equal(t.shape, back[name].shape);
            Assert.True(t.bytes.SequenceEqual(back[name].bytes), $"{name}: the bytes differ");
        }
        Assert.Equal(ScalarType.Bool, back["net_list.6.Mask_perClass"].dtype);
        Assert.Equal(ScalarType.Int64, back["net_list.6.bn_expand.num_batches_tracked"].dtype);
    }

    [Fact]
    public void A_wrong_codeword_buffer_is_named_in_one_line()
    {
        var tensors = SafeTensors.Load(OfficialFixture.Weights);
        var mask = tensors["net_list.7.Mask_perClass"];
        mask[2, 4] = mask[2, 4].logical_not();
        var error = ImportError(tensors);
        Assert.Equal("'net_list.7.Mask_perClass' (block 4) is not the codewords of scheme 'cifar10/5/10': 1 digit(s) differ, the first at class 2, subNN 4", error);
    }

    [Fact]
    public void A_wrong_shape_names_the_tensor_and_both_shapes()
    {
        var tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors["net_list.14.weight"] = zeros(100, 1024);
        Assert.Equal("tensor 'net_list.14.weight' has shape [100, 1024] in the file but the cifar10 architecture needs [10, 1024]", ImportError(tensors));
        // The grouped conv_expand of a coded block in our dense layout is a shape error too.
        tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors["net_list.9.conv_expand.weight"] = zeros(1024, 440, 1, 1);
        Assert.Equal("tensor 'net_list.9.conv_expand.weight' has shape [1024, 440, 1, 1] in the file but the cifar10 architecture needs [10240, 44, 1, 1]", ImportError(tensors));
    }

    [Fact]
    public void A_missing_or_extra_tensor_is_named()
    {
        var tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors.Remove("net_list.3.skip_connection.bn_skip.num_batches_tracked");
        Assert.Equal("tensor 'net_list.3.skip_connection.bn_skip.num_batches_tracked' [] of the cifar10 architecture is missing; the file's first tensor is 'net_list.0.weight'",
            ImportError(tensors));
        tensors = SafeTensors.Load(OfficialFixture.Weights);
        tensors["net_list.14.bias"] = zeros(10);
        Assert.Equal("tensor 'net_list.14.bias' is not part of the cifar10 architecture in the released code's layout", ImportError(tensors));
    }

    [Fact]
    public void Positions_in_net_list_come_from_the_architecture()
    {
        Assert.Equal(new OfficialLayout.Positions(3, 14), OfficialLayout.PositionsOf(Presets.Get("cifar10")));
        Assert.Equal(new OfficialLayout.Positions(3, 10), OfficialLayout.PositionsOf(Presets.Get("fashion-tiny")));
        // A max-pool stem is one more module; ResNeXt-50 has 16 blocks, and the ImageNet code pools in one module (no flatten).
        Assert.Equal(new OfficialLayout.Positions(4, 21), OfficialLayout.PositionsOf(Presets.Get("imagenet")));
        Assert.Equal(new OfficialLayout.Positions(4, 22), OfficialLayout.PositionsOf(Presets.Get("imagenet"), OfficialLayout.Tail.PoolFlatten));
        var tiny = Synthetic.Architecture();
        Assert.Equal("net_list.4.skip_connection.conv_skip.weight", OfficialLayout.TheirName("blocks.1.shortcut.conv.weight", tiny));
        Assert.Equal("net_list.6.conv_internal.weight", OfficialLayout.TheirName("blocks.3.conv_conv.weight", tiny));
        Assert.Equal("net_list.6.bn_internal.running_var", OfficialLayout.TheirName("blocks.3.bn.running_var", tiny));
        Assert.Equal("net_list.9.weight", OfficialLayout.TheirName("classifier.weight", tiny));
    }

    [Fact]
    public void Any_architecture_goes_out_and_back_in_with_the_grouped_expand_layout_of_coded_blocks()
    {
        var arch = Synthetic.Architecture() with { Stem = Synthetic.Architecture().Stem with { MaxPool = true } };
        using var g1 = new Generator(1);
        using var g2 = new Generator(2);
        using var source = new CodedResNeXtNetwork(arch, CodingSchemeSet.BuiltInsAndFiles, generator: g1);
        using var target = new CodedResNeXtNetwork(arch, CodingSchemeSet.BuiltInsAndFiles, generator: g2);
        var theirs = OfficialLayout.Export(source);
        var ours = source.state_dict();

        // Block 3: C_out 16, N 10, d 2, coded. Their row n*C_out+o, column j is our [o, n*d+j].
        var grouped = theirs["net_list.7.conv_expand.weight"];
        Assert.Equal([160L, 2, 1, 1], grouped.shape);
        var dense = ours["blocks.3.conv_expand.weight"];
        foreach (var (n, o, j) in new[] { (0, 0, 0), (3, 5, 1), (9, 15, 1), (7, 2, 0) })
            Assert.Equal(dense[o, n * 2 + j, 0, 0].item<float>(), grouped[n * 16 + o, j, 0, 0].item<float>());
        // The uncoded block 0 is dense on both sides; its mask is all true.
        Assert.Equal([8L, 10, 1, 1], theirs["net_list.4.conv_expand.weight"].shape);
        Assert.True(theirs["net_list.4.Mask_perClass"].all().item<bool>());
        Assert.Equal(CodingSchemeSet.BuiltInsAndFiles["cifar10/3/10"].ToStrings(),
            Enumerable.Range(0, 10).Select(k => string.Concat(Enumerable.Range(0, 10).Select(s => theirs["net_list.7.Mask_perClass"][k, s].item<bool>() ? '1' : '0'))));

        OfficialLayout.Import(target, theirs, "exported");
        foreach (var (name, t) in target.state_dict())
            Assert.True(t.eq(ours[name]).all().item<bool>(), $"{name} differs after the round trip");
    }

    /// <summary>Imports the tensors (written to a file) and returns the error without the file name that starts it.</summary>
    private string ImportError(Dictionary<string, Tensor> tensors)
    {
        string path = _tmp[$"bad-{Guid.NewGuid():N}.safetensors"];
        SafeTensors.Save(path, tensors);
        var error = Assert.Throws<InvalidInputException>(() => OfficialModelFile.Import(path, "cifar10", _tmp[$"{Guid.NewGuid():N}.ckpt"]));
        Assert.DoesNotContain('\n', error.Message);
        Assert.StartsWith(path + ": ", error.Message);
        return error.Message[(path.Length + 2)..];
    }

    private static double MaxAbsDifference(Tensor actual, float[] expected) =>
        actual.to(float64).sub(tensor(expected.Select(v => (double)v).ToArray())).abs().max().item<double>();
}
