using System.Text.Json;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>An ONNX file's crx.meta is as untrusted as a model file's meta.json and gets the same checks.</summary>
public class OnnxMetadataTests
{
    private static Dictionary<string, string> Properties(Func<ModelMetadata, ModelMetadata> tamper)
    {
        using var network = new CodedResNeXtNetwork(Synthetic.Architecture(), CodingSchemeSet.BuiltInsAndFiles);
        var names = Enumerable.Range(0, Synthetic.Classes).Select(k => $"class{k}").ToList();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, names, new Normalization([0.5f], [0.25f]), "synthetic", []);
        return OnnxMetadata.ToProperties(tamper(meta), "model.ckpt").ToDictionary(p => p.Key, p => p.Value);
    }

    [Fact]
    public void Untampered_metadata_is_read_back()
    {
        var meta = OnnxMetadata.Parse(Properties(m => m), "model.onnx");
        Assert.Equal(Synthetic.Architecture().Blocks.Count, meta.Architecture.Blocks.Count);
    }

    [Theory]
    [InlineData("std 0", "std")]
    [InlineData("class names", "names 2 classes")]
    [InlineData("billion channels", "model.onnx")]
    public void Tampered_metadata_is_refused_in_one_line_naming_the_file(string tampering, string expected)
    {
        var properties = Properties(m => tampering switch
        {
            "std 0" => m with { Normalization = new Normalization([0.5f], [0f]) },
            "class names" => m with { ClassNames = ["a", "b"] },
            _ => m with { Architecture = m.Architecture with { Blocks = m.Architecture.Blocks.Select(b => b with { OutChannels = 1_000_000_000 }).ToList() } },
        });
        var e = Assert.Throws<InvalidInputException>(() => OnnxMetadata.Parse(properties, "model.onnx"));
        Assert.StartsWith("model.onnx", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
