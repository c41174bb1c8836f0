using System.Text.Json;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Training;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// What an exported file says about itself in its metadata_props, so that it can be served with nothing else:
/// which kind of crx model it came from, the architecture and codewords (for early decoding), the input
/// normalization, the class names and, for an extracted classifier, its kept classes and decision thresholds.
/// Values are JSON (snake_case, as in checkpoints' meta.json) except the kind.
/// </summary>
public sealed record OnnxMetadata(
    ModelFileKind Kind,
    ArchitectureSpec Architecture,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Schemes,
    IReadOnlyList<string> ClassNames,
    Normalization Normalization,
    IReadOnlyList<ClassThreshold>? Thresholds)
{
    public const string KindKey = "crx.kind";
    public const string ArchitectureKey = "crx.architecture";
    public const string SchemesKey = "crx.schemes";
    public const string ClassNamesKey = "crx.class_names";
    public const string NormalizationKey = "crx.normalization";
    /// <summary>Per kept class, in the order of the logits: class index, name, threshold (and how it was fitted).</summary>
    public const string ThresholdsKey = "crx.thresholds";

    public const string CheckpointKind = "checkpoint";

    public Func<string, CodingScheme> SchemeResolver() => Checkpoint.SchemeResolver(Schemes, "the ONNX file");

    public IEnumerable<KeyValuePair<string, string>> ToProperties()
    {
        yield return new(KindKey, Kind == ModelFileKind.BinaryClassifier ? BinaryClassifierFile.Kind : CheckpointKind);
        yield return new(ArchitectureKey, Serialize(Architecture));
        yield return new(SchemesKey, Serialize(Schemes));
        yield return new(ClassNamesKey, Serialize(ClassNames));
        yield return new(NormalizationKey, Serialize(Normalization));
        if (Thresholds is not null) yield return new(ThresholdsKey, Serialize(Thresholds));
    }

    /// <summary>Reads the properties back; <paramref name="path"/> names the file in errors.</summary>
    public static OnnxMetadata Parse(IReadOnlyDictionary<string, string> properties, string path)
    {
        string Get(string key) => properties.TryGetValue(key, out var value)
            ? value
            : throw new InvalidInputException($"{path}: the ONNX file has no {key} metadata (was it written by crx export?)");
        T Read<T>(string key)
        {
            try { return JsonSerializer.Deserialize<T>(Get(key), Checkpoint.Json) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new InvalidInputException($"{path}: the ONNX metadata {key} is not valid: {e.Message.Split('\n')[0]}"); }
        }

        var kind = Get(KindKey) switch
        {
            CheckpointKind => ModelFileKind.Checkpoint,
            BinaryClassifierFile.Kind => ModelFileKind.BinaryClassifier,
            var other => throw new InvalidInputException($"{path}: the ONNX metadata {KindKey} is '{other}', not {CheckpointKind} or {BinaryClassifierFile.Kind}"),
        };
        var thresholds = kind == ModelFileKind.BinaryClassifier ? Read<List<ClassThreshold>>(ThresholdsKey) : null;
        return new OnnxMetadata(kind, Read<ArchitectureSpec>(ArchitectureKey), Read<Dictionary<string, IReadOnlyList<string>>>(SchemesKey),
            Read<List<string>>(ClassNamesKey), Read<Normalization>(NormalizationKey), thresholds);
    }

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, CompactJson);

    private static readonly JsonSerializerOptions CompactJson = new(Checkpoint.Json) { WriteIndented = false };
}
