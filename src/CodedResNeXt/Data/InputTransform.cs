using System.Text.Json.Serialization;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Model;

namespace CodedResNeXt.Data;

/// <summary>
/// How an image becomes the tensor a model takes, the one record every path reads (evaluation, prediction from files
/// and tensors, early exit, ONNX files and their users): it travels in every model file's metadata (meta.json
/// "input", and an ONNX file's "crx.input"), as torchvision's weights carry their transforms.
/// In order: decode; fit to <see cref="Size"/> x <see cref="Size"/> (with <see cref="Resize"/>: shorter side scaled to
/// Resize, then the centre Size square, the folder datasets' evaluation transform; without: the centre square scaled
/// to Size, which leaves an image already Size x Size untouched); for one channel, gray by luminance (ITU-R BT.601,
/// PIL's "L"); each byte b times <see cref="PixelScale"/>; then (x - mean[c]) / std[c].
/// </summary>
/// <param name="Channels">1 (gray) or 3 (RGB)</param>
/// <param name="Size">the side of the square input, in pixels</param>
/// <param name="Resize">the shorter side before the centre crop (null: the centre square scaled to Size)</param>
/// <param name="PixelScale">what a pixel byte is multiplied by before normalization: 1/255</param>
/// <param name="Normalization">the per-channel mean and standard deviation of the scaled pixels</param>
public sealed record InputTransform(
    int Channels,
    int Size,
    // Written even when null: "no resize" is part of the record, and readers require the key.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Resize,
    double PixelScale,
    Normalization Normalization)
{
    /// <summary>A byte b becomes b / 255.</summary>
    public const double BytesToUnit = 1.0 / 255;

    /// <summary>The transform of a network of <paramref name="architecture"/> trained on images fitted by <paramref name="folder"/> (null: datasets of fixed-size images).</summary>
    /// <param name="architecture">the network: its input channels and size</param>
    /// <param name="normalization">the constants its training images were normalized with</param>
    /// <param name="folder">the evaluation geometry of a folder dataset it was trained on</param>
    public static InputTransform For(ArchitectureSpec architecture, Normalization normalization, FolderGeometry? folder) =>
        new(architecture.InputChannels, architecture.ImageSize, folder?.Resize, BytesToUnit, normalization);

    /// <summary>The folder geometry this transform fits files with (null: the centre square scaled to <see cref="Size"/>).</summary>
    internal FolderGeometry? Folder => Resize is { } resize ? new FolderGeometry(Size, resize) : null;

    /// <summary>Whether an image of <paramref name="width"/> x <paramref name="height"/> pixels is changed by the fitting (not only copied).</summary>
    public bool Changes(int width, int height) => width != Size || height != Size || (Resize is { } r && r != Size);
}
