using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// `crx export --format onnx`: a training checkpoint (logits and every coded block's energies) or an extracted
/// classifier (its logits, thresholds in the metadata) as an ONNX file.
/// </summary>
public static class OnnxModelExport
{
    /// <summary>Exports the model file at <paramref name="modelPath"/>; refuses to overwrite <paramref name="outPath"/>.</summary>
    public static OnnxMetadata ExportFile(string modelPath, string outPath, string outFlag = "--out")
    {
        if (File.Exists(outPath)) throw new InvalidInputException($"{outFlag}: {outPath} already exists; remove it or choose another name");
        if (BinaryClassifierFile.Identify(modelPath, "model") == ModelFileKind.BinaryClassifier)
        {
            using var extracted = BinaryClassifierFile.Load(modelPath, "model");
            var info = extracted.Info;
            var metadata = new OnnxMetadata(ModelFileKind.BinaryClassifier, info.Architecture, info.Schemes, info.ClassNames,
                info.Normalization, info.Thresholds);
            Write(outPath, extracted.Network, metadata);
            return metadata;
        }
        var (network, checkpoint) = Checkpoint.Load(modelPath);
        using (network)
        {
            var metadata = new OnnxMetadata(ModelFileKind.Checkpoint, checkpoint.Architecture, checkpoint.Schemes,
                checkpoint.ClassNames, checkpoint.Normalization, null);
            Write(outPath, network, metadata);
            return metadata;
        }
    }

    /// <summary>The ONNX bytes of a network: an extracted classifier gives only its logits, a full network its energies too.</summary>
    public static byte[] ToBytes(CodedResNeXtNetwork network, OnnxMetadata metadata)
    {
        using var scope = NewDisposeScope();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        return OnnxExport.Build(network.Architecture, weights, metadata.ToProperties(),
            energies: metadata.Kind == ModelFileKind.Checkpoint);
    }

    /// <summary>Writes to a temporary file renamed at the end, so a failure never leaves a half-written model.</summary>
    public static void Write(string path, CodedResNeXtNetwork network, OnnxMetadata metadata)
    {
        var bytes = ToBytes(network, metadata);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: false);
    }
}
