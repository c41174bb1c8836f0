using System.Text.Json;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// What an exported file says about itself in its metadata_props, so that it can be served with nothing else.
/// "crx.meta" is the source model file's whole <see cref="ModelMetadata"/> (meta.json: architecture, codewords,
/// class names, normalization and, for an extracted classifier, its classifier section), which crx reads back; the
/// other keys repeat what a plain ONNX Runtime user needs, so that nobody has to know crx's metadata layout:
/// "crx.kind", "crx.class_names", "crx.normalization", "crx.input" (how an image becomes the input tensor,
/// <see cref="Data.InputTransform"/>) and, for a classifier, "crx.thresholds". Values are JSON
/// (snake_case, as in meta.json) except the kind.
/// </summary>
internal static class OnnxMetadata
{
    /// <summary>The key of the source file's whole metadata (meta.json as JSON), what crx reads back.</summary>
    public const string MetaKey = "crx.meta";
    /// <summary>The key of the model kind: "checkpoint" or "binary-classifier", plain text.</summary>
    public const string KindKey = "crx.kind";
    /// <summary>The key of the K class names, a JSON array in class order.</summary>
    public const string ClassNamesKey = "crx.class_names";
    /// <summary>The key of the per-channel normalization, JSON {"mean": […], "std": […]}.</summary>
    public const string NormalizationKey = "crx.normalization";
    /// <summary>
    /// The key of the input transform, JSON {"channels", "size", "resize" (null: the centre square scaled to size),
    /// "pixel_scale", "normalization": {"mean", "std"}}.
    /// </summary>
    public const string InputKey = "crx.input";
    /// <summary>Per kept class, in the order of the logits: class index, name, threshold (and how it was fitted).</summary>
    public const string ThresholdsKey = "crx.thresholds";
    /// <summary>The key of an int8 file's quantization (<see cref="QuantizationInfo"/>, JSON); absent in a float file.</summary>
    public const string QuantizationKey = "crx.quantization";

    private static readonly JsonSerializerOptions CompactJson = new(ModelFile.Json) { WriteIndented = false };

    /// <summary>The metadata_props of an exported file: the keys above, and <see cref="ThresholdsKey"/> for an extracted classifier.</summary>
    /// <param name="meta">the source model file's metadata</param>
    /// <param name="path">the source file, for errors in its classifier section</param>
    public static IEnumerable<KeyValuePair<string, string>> ToProperties(ModelMetadata meta, string path)
    {
        var properties = new List<KeyValuePair<string, string>>
        {
            // Stored resolved, so a file exported from a model written before the record existed carries it too.
            new(MetaKey, Serialize(meta with { Input = meta.InputTransform })),
            new(KindKey, meta.Kind),
            new(ClassNamesKey, Serialize(meta.ClassNames)),
            new(NormalizationKey, Serialize(meta.Normalization)),
            new(InputKey, Serialize(meta.InputTransform)),
        };
        if (meta.Kind == BinaryClassifierFile.Kind)
            properties.Add(new(ThresholdsKey, Serialize(BinaryClassifierFile.Info(meta, path).Thresholds)));
        return properties;
    }

    /// <summary>The model metadata stored in an exported file's properties; <paramref name="path"/> names the file in errors.</summary>
    public static ModelMetadata Parse(IReadOnlyDictionary<string, string> properties, string path)
    {
        if (!properties.TryGetValue(MetaKey, out var json))
            throw InvalidInputException.ForFile(path, $"the ONNX file has no {MetaKey} metadata (was it written by crx export?)");
        ModelMetadata? meta;
        try { meta = JsonSerializer.Deserialize<ModelMetadata>(json, ModelFile.Json); }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"the ONNX metadata {MetaKey} is not valid: {e.Message.Split('\n')[0]}"); }
        if (meta is null) throw InvalidInputException.ForFile(path, $"the ONNX metadata {MetaKey} is null");
        if (meta.Format != ModelMetadata.CurrentFormat)
            throw InvalidInputException.ForFile(path, $"model metadata format {meta.Format}, this version reads format {ModelMetadata.CurrentFormat}");
        // The same checks as a model file's meta.json: an ONNX file is as untrusted.
        return ModelFile.Checked(meta, path, $"{path} ({MetaKey})", MetaKey);
    }

    /// <summary>The metadata_props of an int8 file: those of a float file and <see cref="QuantizationKey"/>.</summary>
    internal static IEnumerable<KeyValuePair<string, string>> ToQuantizedProperties(ModelMetadata meta, string path, QuantizationInfo quantization) =>
        ToProperties(meta, path).Append(new(QuantizationKey, Serialize(quantization)));

    /// <summary>
    /// How the ONNX file at <paramref name="path"/> was quantized (null: a float file), read from its metadata_props
    /// without loading its graph; an <see cref="InvalidInputException"/> naming the file when it is not protobuf or the entry is malformed.
    /// </summary>
    public static QuantizationInfo? Quantization(string path) => Read(path).Quantization;

    /// <summary>
    /// What an exported file says about itself (<c>crx info</c>): its model's metadata and, for an int8 file, how it was
    /// quantized; read from its metadata_props, its graph neither checked nor run. An <see cref="InvalidInputException"/>
    /// naming the file when it is not an ONNX file crx wrote or its metadata is malformed.
    /// </summary>
    public static OnnxFileSummary Read(string path)
    {
        var properties = OnnxGraphCheck.Properties(InputFile.ReadBytes(path, OnnxModel.MaxFileBytes, "ONNX file"), path);
        return new OnnxFileSummary(Parse(properties, path), QuantizationOf(properties, path), new FileInfo(path).Length);
    }

    private static QuantizationInfo? QuantizationOf(IReadOnlyDictionary<string, string> properties, string path)
    {
        if (!properties.TryGetValue(QuantizationKey, out var json)) return null;
        try { return JsonSerializer.Deserialize<QuantizationInfo>(json, ModelFile.Json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"the ONNX metadata {QuantizationKey} is not valid: {e.Message.Split('\n')[0]}"); }
    }

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, CompactJson);
}

/// <summary>What an exported ONNX file says about itself (<see cref="OnnxMetadata.Read"/>).</summary>
/// <param name="Model">the metadata of the model file it was exported from</param>
/// <param name="Quantization">how it was quantized and calibrated; null for a float32 file</param>
/// <param name="Bytes">the file's size</param>
internal sealed record OnnxFileSummary(ModelMetadata Model, QuantizationInfo? Quantization, long Bytes);
