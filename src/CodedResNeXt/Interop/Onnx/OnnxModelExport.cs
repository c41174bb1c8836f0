using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// `crx export --format onnx`: a model file (a training checkpoint: logits and every coded block's energies; an
/// extracted classifier: its logits, thresholds in the metadata) as an ONNX file.
/// </summary>
internal static class OnnxModelExport
{
    /// <summary>Exports the model file at <paramref name="modelPath"/>; refuses to overwrite <paramref name="outPath"/>.</summary>
    /// <param name="modelPath">a checkpoint or an extracted classifier</param>
    /// <param name="outPath">where the .onnx file goes (its folder is created)</param>
    /// <returns>the model file's metadata</returns>
    /// <param name="outOption">the option that named the output, for errors</param>
    public static ModelMetadata ExportFile(string modelPath, string outPath, string outOption = "Out") =>
        ExportFile(modelPath, outPath, quantization: null, outOption);

    /// <summary>Exports the model file at <paramref name="modelPath"/>, in int8 when <paramref name="quantization"/> is given; refuses to overwrite <paramref name="outPath"/>.</summary>
    internal static ModelMetadata ExportFile(string modelPath, string outPath, QuantizationOptions? quantization, string outOption = "Out")
    {
        InvalidInputException Exists() => InvalidInputException.ForOption(outOption, $"{outPath} already exists; choose another path or delete it");
        // Checked first, so no work is done for nothing, and again when the file is given its name (one of two runs wins).
        if (File.Exists(outPath) || Directory.Exists(outPath)) throw Exists();
        var (network, meta) = ModelFile.Load(modelPath);
        using (network) WriteNew(network, meta, modelPath, outPath, Exists, quantization);
        return meta;
    }

    /// <summary>Exports a network in memory with its metadata (a full network or an extracted classifier); refuses to overwrite <paramref name="outPath"/>.</summary>
    /// <param name="network">the network, in eval mode</param>
    /// <param name="meta">its metadata (kind, classes, input record, a classifier's thresholds)</param>
    /// <param name="outPath">where the .onnx file goes (its folder is created)</param>
    public static void Export(CodedResNeXtNetwork network, ModelMetadata meta, string outPath) => Export(network, meta, outPath, quantization: null);

    /// <summary>Exports a network in memory, in int8 when <paramref name="quantization"/> is given (<see cref="QuantizationOptions"/>).</summary>
    /// <param name="network">the network, in eval mode</param>
    /// <param name="meta">its metadata</param>
    /// <param name="outPath">where the .onnx file goes (its folder is created)</param>
    /// <param name="quantization">null for float32</param>
    /// <param name="source">the model file the network came from, for errors (its calibration data, its classifier section)</param>
    internal static void Export(CodedResNeXtNetwork network, ModelMetadata meta, string outPath, QuantizationOptions? quantization,
        string source = "the model in memory")
    {
        InvalidInputException Exists() => InvalidInputException.ForFile(outPath, "already exists; choose another path or delete it");
        if (File.Exists(outPath) || Directory.Exists(outPath)) throw Exists();
        network.eval();
        WriteNew(network, meta, source, outPath, Exists, quantization);
    }

    private static void WriteNew(CodedResNeXtNetwork network, ModelMetadata meta, string source, string outPath, Func<Exception> exists,
        QuantizationOptions? quantization)
    {
        byte[] bytes = quantization is null
            ? ToBytes(network, OnnxMetadata.ToProperties(meta, source), energies: meta.Kind != BinaryClassifierFile.Kind)
            : ToQuantizedBytes(network, meta, source, quantization);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        OutputFile.WriteNew(outPath, stream => stream.Write(bytes), exists);
    }

    /// <summary>The ONNX bytes of a network (eval mode: BN running statistics) with <paramref name="properties"/> as metadata_props.</summary>
    /// <param name="network">the network to export, in eval mode</param>
    /// <param name="properties">key-value pairs for metadata_props (<see cref="OnnxMetadata.ToProperties"/>)</param>
    /// <param name="energies">whether to output every coded block's energies (a full network) or only the logits (a classifier)</param>
    public static byte[] ToBytes(CodedResNeXtNetwork network, IEnumerable<KeyValuePair<string, string>> properties, bool energies)
    {
        using var scope = NewDisposeScope();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        return OnnxExport.Build(network.Architecture, weights, properties, energies);
    }

    /// <summary>
    /// The int8 ONNX bytes of a network (<see cref="QuantizationOptions"/>): the folded float graph with taps runs the
    /// calibration images, then the quantized graph is written with the ranges measured. Outputs as
    /// <see cref="ToBytes"/>: logits, and a full network's energies, float.
    /// </summary>
    /// <param name="network">the network to export, in eval mode</param>
    /// <param name="meta">its metadata (names its dataset and input transform)</param>
    /// <param name="source">the model file, for errors in its metadata</param>
    /// <param name="options">where the calibration images come from and how the ranges are chosen</param>
    internal static byte[] ToQuantizedBytes(CodedResNeXtNetwork network, ModelMetadata meta, string source, QuantizationOptions options)
    {
        var (images, from) = OnnxCalibration.Images(meta, options);
        bool energies = meta.Kind != BinaryClassifierFile.Kind;
        using var scope = NewDisposeScope();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        var calibrating = QdqLayers.Calibrating();
        byte[] calibrationGraph = OnnxExport.Build(network.Architecture, weights, [], energies, calibrating);
        var ranges = OnnxCalibration.Measure(calibrationGraph, calibrating.Taps, images, meta, options);
        var quantizing = QdqLayers.Quantizing(ranges, options.QuantizeGroupedConvolutions);
        var info = new QuantizationInfo("int8, symmetric, per output channel", "uint8, per tensor", options.MethodText, images.Count, from, options.Seed,
            FloatWeightsOf(network.Architecture, options));
        return OnnxExport.Build(network.Architecture, weights, OnnxMetadata.ToQuantizedProperties(meta, source, info), energies, quantizing);
    }

    private static IReadOnlyList<string> FloatWeightsOf(ArchitectureSpec architecture, QuantizationOptions options) =>
        options.QuantizeGroupedConvolutions ? [] : Enumerable.Range(0, architecture.Blocks.Count).Select(i => $"blocks.{i}.conv_conv.weight").ToList();

    /// <summary>Writes ONNX bytes atomically (<see cref="OutputFile"/>), creating the folder; a failure never leaves a half-written model.</summary>
    public static void Write(string path, byte[] bytes)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        OutputFile.WriteBytes(path, bytes);
    }
}
