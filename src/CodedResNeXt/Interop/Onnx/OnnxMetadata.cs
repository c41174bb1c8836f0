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

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, CompactJson);
}
