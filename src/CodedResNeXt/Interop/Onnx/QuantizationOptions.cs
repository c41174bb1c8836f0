using CodedResNeXt.Data;

namespace CodedResNeXt.Interop;

/// <summary>
/// How an ONNX file is written in 8-bit integers (<c>crx export --format onnx --quantize int8</c>): batch normalization
/// is folded into the convolutions; every convolution and the classifier read int8 weights (symmetric, one scale per
/// output channel) and uint8 activations (one scale and zero point per tensor) through QuantizeLinear and
/// DequantizeLinear nodes (the QDQ form), which ONNX Runtime runs as integer kernels; the logits and the energies
/// early decoding reads stay float. Each activation's range is measured on <see cref="CalibrationImages"/> images
/// of the training data, fitted by the model's own <see cref="InputTransform"/>.
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>The default number of calibration images.</summary>
    public const int DefaultCalibrationImages = 256;

    /// <summary>
    /// Where the calibration images come from: null for the training set of the dataset the model's metadata names
    /// (at the dataset's default directory: only Fashion-MNIST has one), a dataset name of <see cref="DatasetRegistry"/>
    /// (its training set, at its default directory), or a directory holding the model's dataset (e.g. the CIFAR-10
    /// binary files, or a folder dataset's train/ and val/). Ignored when <see cref="CalibrationSet"/> is given.
    /// </summary>
    public string? CalibrationData { get; init; }

    /// <summary>Calibration images in memory (their labels are not used); null reads <see cref="CalibrationData"/>.</summary>
    public ImageDataset? CalibrationSet { get; init; }

    /// <summary>How many images are drawn (without replacement, from <see cref="Seed"/>); a smaller set is used whole.</summary>
    public int CalibrationImages { get; init; } = DefaultCalibrationImages;

    /// <summary>The seed of the draw of calibration images.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// How each activation's range is chosen from the calibration images' activations: the values at this percentile and
    /// 100 minus it of everything seen, in (50, 100] (the rare largest values are clipped, and every other value gets a
    /// finer step); null: the smallest and largest value seen ("min-max": nothing is clipped, and one outlier widens every
    /// step). docs/performance.md says why 99.99 is the default.
    /// </summary>
    public double? Percentile { get; init; } = 99.99;

    /// <summary>
    /// Whether the grouped 3x3 convolutions (one group per subNN, a few channels each) get int8 weights too; false keeps
    /// them float (their activations are still quantized around them), for measuring whether narrow groups pay in int8.
    /// </summary>
    public bool QuantizeGroupedConvolutions { get; init; } = true;

    /// <summary>How the method is written in the file's metadata and shown: "min-max" or "percentile 99.99".</summary>
    internal string MethodText => Percentile is not { } percentile ? "min-max"
        : $"percentile {percentile.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// What an int8 ONNX file says about its quantization, in its metadata ("crx.quantization"): read back by
/// <see cref="CodedResNeXtModel.InspectFile"/> (<see cref="ModelFileInfo.Quantization"/>) and shown by <c>crx info</c>.
/// </summary>
/// <param name="Weights">how the weights are stored, e.g. "int8, symmetric, per output channel"</param>
/// <param name="Activations">how the activations are quantized, e.g. "uint8, per tensor"</param>
/// <param name="Method">the calibration method, "min-max" or "percentile 99.99"</param>
/// <param name="Images">how many calibration images were run</param>
/// <param name="Data">where they came from, e.g. "fashion-mnist training set"</param>
/// <param name="Seed">the seed of their draw</param>
/// <param name="FloatWeights">weights kept float (none unless asked)</param>
public sealed record QuantizationInfo(string Weights, string Activations, string Method, int Images, string Data, int Seed, IReadOnlyList<string> FloatWeights);
