using System.IO.Compression;
using System.Text.Json;
using CodedResNeXt.Model;
using CodedResNeXt.Training;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>What a model file holds, as its meta.json says.</summary>
public enum ModelFileKind
{
    /// <summary>A training checkpoint: the full network (<see cref="Checkpoint"/>).</summary>
    Checkpoint,
    /// <summary>An extracted binary (or class-subset) classifier (<see cref="BinaryClassifierFile"/>).</summary>
    BinaryClassifier,
}

/// <summary>
/// An extracted classifier file, laid out like a checkpoint (and written by the same code): a zip holding
/// meta.json (<see cref="BinaryClassifierInfo"/>, with "kind": "binary-classifier") and model.safetensors (the
/// extracted network's state_dict), written to a temporary file and renamed.
/// </summary>
public static class BinaryClassifierFile
{
    public const string Kind = "binary-classifier";
    public const int FormatVersion = 1;
    private const string What = "checkpoint or extracted classifier";

    public static void Save(string path, ExtractedClassifier classifier)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        Checkpoint.WriteAtomically(path, classifier.Info, classifier.Network);
    }

    /// <summary>Rebuilds the extracted network of a file, in eval mode.</summary>
    public static ExtractedClassifier Load(string path, string flag = "--model")
    {
        using var zip = Checkpoint.Open(path, flag, What);
        var info = ReadInfo(zip, path);
        var network = new CodedResNeXtNetwork(info.Architecture, info.SchemeResolver());
        try
        {
            Checkpoint.LoadWeights(zip, path, network, What);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        network.eval();
        return new ExtractedClassifier(network, info);
    }

    /// <summary>Reads the description of an extracted classifier without building its network.</summary>
    public static BinaryClassifierInfo ReadInfo(string path, string flag = "--model")
    {
        using var zip = Checkpoint.Open(path, flag, What);
        return ReadInfo(zip, path);
    }

    /// <summary>Whether the file is a checkpoint or an extracted classifier, decided by its meta.json.</summary>
    public static ModelFileKind Identify(string path, string flag = "--model")
    {
        using var zip = Checkpoint.Open(path, flag, What);
        return Identify(zip, path);
    }

    private static ModelFileKind Identify(ZipArchive zip, string path)
    {
        using var meta = Checkpoint.Entry(zip, path, "meta.json", What);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(meta); }
        catch (JsonException) { throw new InvalidInputException($"{path}: not a {What} (meta.json is not JSON)"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidInputException($"{path}: not a {What} (meta.json is not an object)");
            if (root.TryGetProperty("kind", out var kind))
                return kind.ValueKind == JsonValueKind.String && kind.GetString() == Kind
                    ? ModelFileKind.BinaryClassifier
                    : throw new InvalidInputException($"{path}: not a {What} (meta.json has kind {kind})");
            // Checkpoints carry no kind; they are the files that say how they were trained.
            return root.TryGetProperty("options", out _) && root.TryGetProperty("state", out _)
                ? ModelFileKind.Checkpoint
                : throw new InvalidInputException($"{path}: not a {What} (meta.json describes neither)");
        }
    }

    private static BinaryClassifierInfo ReadInfo(ZipArchive zip, string path)
    {
        if (Identify(zip, path) == ModelFileKind.Checkpoint)
            throw new InvalidInputException($"{path}: a training checkpoint, not an extracted classifier (make one with crx extract)");
        var info = Checkpoint.ReadMeta<BinaryClassifierInfo>(zip, path, What);
        if (info.Format != FormatVersion)
            throw new InvalidInputException($"{path}: extracted classifier format {info.Format}, this version reads format {FormatVersion}");
        return info;
    }
}
