using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;

using CodedResNeXt.ModelFiles;

namespace CodedResNeXt;

/// <summary>
/// What a file of weights is, read without building a network or running anything (<see cref="CodedResNeXtModel.InspectFile"/>,
/// <c>crx info FILE</c>): a checkpoint, an extracted classifier, an ONNX file exported from either (and, for an int8
/// one, how it was quantized and calibrated), or a <c>torch.save</c> file such as the authors' Lightning checkpoints
/// (what it says of the run that wrote it; <see cref="CodedResNeXtModel.Import"/> reads its weights). A checkpoint's
/// training record is <see cref="CodedResNeXtModel.Inspect"/>'s.
/// </summary>
public sealed record ModelFileInfo
{
    /// <summary>The format of a training checkpoint (.ckpt), as <see cref="Format"/> and <see cref="ModelMetadata.Kind"/> name it.</summary>
    public const string Checkpoint = ModelFiles.Checkpoint.Kind;
    /// <summary>The format of an extracted classifier (.crxb).</summary>
    public const string BinaryClassifier = BinaryClassifierFile.Kind;
    /// <summary>The format of an ONNX file exported from a checkpoint or a classifier (its <see cref="Metadata"/> says which).</summary>
    public const string Onnx = "onnx";
    /// <summary>The format of a <c>torch.save</c> file (PyTorch or Lightning), read without running its pickle.</summary>
    public const string Torch = "torch";

    /// <summary>The file, as given.</summary>
    public required string Path { get; init; }
    /// <summary><see cref="Checkpoint"/>, <see cref="BinaryClassifier"/>, <see cref="Onnx"/> or <see cref="Torch"/>.</summary>
    public required string Format { get; init; }
    /// <summary>The file's size in bytes.</summary>
    public long Bytes { get; init; }
    /// <summary>The record the model carries (architecture, classes, input transform); null for a torch.save file.</summary>
    public ModelMetadata? Metadata { get; init; }
    /// <summary>For an int8 ONNX file: how it was quantized and calibrated; null otherwise.</summary>
    public QuantizationInfo? Quantization { get; init; }
    /// <summary>For a torch.save file: Lightning's epoch counter (null when the file has none, as a bare state_dict).</summary>
    public long? Epoch { get; init; }
    /// <summary>For a torch.save file: Lightning's optimizer-step counter.</summary>
    public long? GlobalStep { get; init; }
    /// <summary>For a torch.save file: the pytorch-lightning version that saved it.</summary>
    public string? LightningVersion { get; init; }
    /// <summary>For a torch.save file: the number of tensors in its state_dict.</summary>
    public int? Tensors { get; init; }
    /// <summary>For a torch.save file: its top-level keys, in the file's order (empty for a bare state_dict).</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>Reads what <paramref name="path"/> is (see <see cref="CodedResNeXtModel.InspectFile"/>).</summary>
    internal static ModelFileInfo Read(string path)
    {
        if (OnnxModel.IsOnnxPath(path))
        {
            var onnx = OnnxMetadata.Read(path);
            return new ModelFileInfo { Path = path, Format = Onnx, Bytes = onnx.Bytes, Metadata = onnx.Model, Quantization = onnx.Quantization };
        }
        if (TorchCheckpoint.IsTorchZip(path))
        {
            var torch = TorchCheckpoint.ReadSummary(path);
            return new ModelFileInfo
            {
                Path = path, Format = Torch, Bytes = new FileInfo(path).Length, Epoch = torch.Epoch, GlobalStep = torch.GlobalStep,
                LightningVersion = torch.LightningVersion, Tensors = torch.Tensors, Keys = torch.Keys,
            };
        }
        var meta = ModelFile.ReadMetadata(path);
        return new ModelFileInfo { Path = path, Format = meta.Kind, Bytes = new FileInfo(path).Length, Metadata = meta };
    }
}
