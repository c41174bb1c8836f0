using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using ModelMetadata = CodedResNeXt.ModelMetadata;
using CodedResNeXt.Training;
using CodedResNeXt.Tests.Model;
using CodedResNeXt.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Interop;

/// <summary>
/// The ONNX graph built from an architecture and a state_dict, run by ONNX Runtime, against TorchSharp's eval forward
/// of the same network on the same images: logits and every coded block's normalized energies, batch 1 and batch 5
/// from one file (the batch dimension is dynamic). Networks go through a model file and <see cref="OnnxModelExport.ExportFile"/>,
/// as `crx export` takes them.
/// </summary>
public class OnnxExportTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_tiny_network_with_two_schemes_projections_and_stride_matches_TorchSharp_at_batch_1_and_5()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        // Blocks 1-4 are coded with t/2/4 and t/1/4; block 1 has stride 2 and a projection shortcut.
        Assert.Equal([1, 2, 3, 4], network.CodedBlocks.Select(b => b.BlockIndex));
        Assert.True(network.Architecture.Blocks[1].HasProjectionShortcut);

        string path = ExportCheckpoint(network);
        using var onnx = OnnxModel.Load(path);
        Assert.Equal([1, 2, 3, 4], onnx.CodedBlockIndices);
        AssertSameOutputs(network, onnx, batch: 1, seed: 11);
        AssertSameOutputs(network, onnx, batch: 5, seed: 12);
    }

    public static TheoryData<string> CheapPresets()
    {
        // The paper-sized presets (4.6 M to 25 M parameters) are measured by the benchmark instead.
        var data = new TheoryData<string>();
        foreach (var name in Presets.Names)
            if (Presets.Get(name).CountParameters().Total < 1_000_000) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CheapPresets))]
    public void A_preset_with_random_weights_and_batch_statistics_matches_TorchSharp(string preset)
    {
        using var network = new CodedResNeXtNetwork(Presets.Get(preset), CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(3));
        TinyNetworks.Perturb(network);
        network.eval();

        string path = ExportCheckpoint(network);
        using var onnx = OnnxModel.Load(path);
        Assert.Equal(network.CodedBlocks.Select(b => b.BlockIndex), onnx.CodedBlockIndices);
        Assert.NotEmpty(onnx.CodedBlockIndices);
        AssertSameOutputs(network, onnx, batch: 1, seed: 21);
        AssertSameOutputs(network, onnx, batch: 5, seed: 22);
    }

    [Fact]
    public void An_extracted_binary_classifier_gives_its_logit_and_carries_its_threshold_class_and_name()
    {
        using var full = TinyNetworks.Network();
        TinyNetworks.Perturb(full);
        full.eval();
        var threshold = new ClassThreshold(2, "gamma", 0.375, 10, 30, 0.9, 0.8, 0.847);
        var normalization = new Normalization([0.25f, 0.5f, 0.75f], [0.5f, 0.25f, 2f]);
        var binaryNetwork = full.ExtractPathsOf([2]);
        binaryNetwork.eval();
        var meta = ModelMetadata.Of(BinaryClassifierFile.Kind, binaryNetwork, ClassNames, normalization, "synthetic", []);
        using var binary = new ExtractedClassifier(binaryNetwork,
            new BinaryClassifierInfo(meta, new ClassifierSection(["gamma"], [threshold], 40, "source.ckpt", full.ParameterCount)));
        // Every coded block lost subNNs but still normalizes by the original 4.
        Assert.All(binaryNetwork.Architecture.Blocks.Where(b => b.IsCoded), b => Assert.True(b.SubNNs < 4 && b.NormalizationSubNNs == 4));

        string source = NewPath(".crxb"), path = NewPath(".onnx");
        BinaryClassifierFile.Save(source, binary);
        OnnxModelExport.ExportFile(source, path);

        using (var session = new InferenceSession(path))
        {
            Assert.Equal([OnnxExport.Logits], session.OutputMetadata.Keys);
            Assert.Equal([-1, 1], session.OutputMetadata[OnnxExport.Logits].Dimensions);
            // The plain keys a server reads without knowing crx's metadata layout.
            var props = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("binary-classifier", props[OnnxMetadata.KindKey]);
            Assert.StartsWith("[{\"class\":2,\"name\":\"gamma\",\"threshold\":0.375,", props[OnnxMetadata.ThresholdsKey]);
            Assert.Equal("[\"alpha\",\"beta\",\"gamma\",\"delta\"]", props[OnnxMetadata.ClassNamesKey]);
            Assert.Equal("{\"mean\":[0.25,0.5,0.75],\"std\":[0.5,0.25,2],\"channels\":3}", props[OnnxMetadata.NormalizationKey]);
        }

        using var onnx = OnnxModel.Load(path);
        var info = BinaryClassifierFile.Info(onnx.Meta, path);
        Assert.Equal([threshold], info.Thresholds);
        Assert.Equal(["gamma"], info.KeptClassNames);
        Assert.Equal(ClassNames, info.ClassNames);
        Assert.Equal(normalization.Mean, info.Normalization.Mean);
        Assert.Equal(normalization.Std, info.Normalization.Std);
        Assert.Equal([2], info.KeptClasses);
        Assert.Equal(binaryNetwork.Architecture.Blocks.Select(b => b.KeptSubNNs?.ToArray()), info.Architecture.Blocks.Select(b => b.KeptSubNNs?.ToArray()));
        Assert.Empty(onnx.CodedBlockIndices);
        AssertSameOutputs(binaryNetwork, onnx, batch: 1, seed: 31);
        AssertSameOutputs(binaryNetwork, onnx, batch: 5, seed: 32);
    }

    [Fact]
    public void A_state_dict_that_does_not_fit_the_architecture_is_refused_by_name()
    {
        using var network = TinyNetworks.Network();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        weights.Remove("blocks.2.bn.running_var");
        var e = Assert.Throws<InvalidInputException>(() => OnnxExport.Build(network.Architecture, weights, []));
        Assert.Contains("blocks.2.bn.running_var", e.Message);

        weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        weights["blocks.3.conv_expand.weight"] = zeros(16, 6, 1, 1);
        e = Assert.Throws<InvalidInputException>(() => OnnxExport.Build(network.Architecture, weights, []));
        Assert.Contains("blocks.3.conv_expand.weight has shape [16,6,1,1]", e.Message);
    }

    [Fact]
    public void Exporting_refuses_to_overwrite_and_loading_refuses_a_file_without_crx_metadata()
    {
        string existing = Path.Combine(_directory.Path, "taken.onnx");
        File.WriteAllText(existing, "keep me");
        var e = Assert.Throws<InvalidInputException>(() => OnnxModelExport.ExportFile("whatever.ckpt", existing));
        Assert.Equal("Out", e.Option);
        Assert.Equal("keep me", File.ReadAllText(existing));

        // A valid ONNX graph with no metadata: ONNX Runtime loads it, crx refuses it by name.
        using var network = TinyNetworks.Network();
        string bare = Path.Combine(_directory.Path, "bare.onnx");
        File.WriteAllBytes(bare, OnnxExport.Build(network.Architecture, network.state_dict().ToDictionary(p => p.Key, p => p.Value), []));
        e = Assert.Throws<InvalidInputException>(() => OnnxModel.Load(bare));
        Assert.StartsWith($"{bare}: the ONNX file has no {OnnxMetadata.MetaKey} metadata", e.Message);

        e = Assert.Throws<InvalidInputException>(() => OnnxModel.Load(existing));
        Assert.StartsWith($"{existing}: not an ONNX graph crx export writes: ", e.Message);
    }

    private static readonly string[] ClassNames = ["alpha", "beta", "gamma", "delta"];

    private string NewPath(string extension) => Path.Combine(_directory.Path, Guid.NewGuid().ToString("N")[..8] + extension);

    /// <summary>Saves the network as a model file of kind checkpoint, exports that, and returns the ONNX path.</summary>
    private string ExportCheckpoint(CodedResNeXtNetwork network)
    {
        var arch = network.Architecture;
        var names = arch.Classes == ClassNames.Length ? ClassNames : Enumerable.Range(0, arch.Classes).Select(k => $"class {k}").ToArray();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, names, Normalization.Unit(arch.InputChannels), "synthetic", []);
        string source = NewPath(".ckpt"), path = NewPath(".onnx");
        ModelFile.Write(source, meta, network);
        OnnxModelExport.ExportFile(source, path);
        return path;
    }

    private static void AssertSameOutputs(CodedResNeXtNetwork network, OnnxModel onnx, int batch, long seed)
    {
        var arch = network.Architecture;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn([batch, arch.InputChannels, arch.ImageSize, arch.ImageSize], generator: new Generator((ulong)seed));
        var expected = network.call(images);
        var actual = onnx.Run(images.data<float>().ToArray(), batch);

        var logits = tensor(actual.Logits, [batch, arch.Outputs]);
        Assert.True(expected.Logits.abs().max().item<float>() > 1e-3, "the logits are all near zero: the comparison would prove little");
        Assert.InRange(TinyNetworks.MaxRelativeDifference(expected.Logits, logits), 0, Tolerance);

        // An extracted classifier's file is for deciding: its logits only.
        Assert.Equal(arch.KeptClasses is null ? expected.BlockEnergies.Count : 0, actual.Energies.Count);
        for (int b = 0; b < actual.Energies.Count; b++)
        {
            var energies = tensor(actual.Energies[b], expected.BlockEnergies[b].shape);
            Assert.InRange(TinyNetworks.MaxRelativeDifference(expected.BlockEnergies[b], energies), 0, Tolerance);
            // Normalized energies of a complete block sum to N per sample.
            Assert.InRange((energies.sum(1) - arch.Blocks[onnx.CodedBlockIndices[b]].SubNNs).abs().max().item<float>(), 0, 1e-3);
        }
    }
}
