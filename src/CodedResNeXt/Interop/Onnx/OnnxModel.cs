using CodedResNeXt.ModelFiles;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using ModelMetadata = CodedResNeXt.ModelFiles.ModelMetadata;
using Microsoft.ML.OnnxRuntime;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>What one ONNX Runtime pass gives: logits [B, outputs] and each coded block's energies [B, N], row-major.</summary>
/// <param name="Batch">B, the images run</param>
/// <param name="Logits">[B, outputs], row-major</param>
/// <param name="Energies">per coded block (<see cref="OnnxModel.CodedBlockIndices"/>), the normalized energies [B, N], row-major</param>
public sealed record OnnxOutput(int Batch, float[] Logits, IReadOnlyList<float[]> Energies);

/// <summary>
/// An exported file (<see cref="OnnxModelExport"/>) run by ONNX Runtime on the CPU. Everything needed to use it
/// (normalization, class names, thresholds, codewords) comes from its metadata_props.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputs;

    private OnnxModel(InferenceSession session, ModelMetadata meta)
    {
        _session = session;
        Meta = meta;
        CodedBlockIndices = meta.Kind != BinaryClassifierFile.Kind ? meta.Architecture.CodedBlockIndices : [];
        _outputs = [OnnxExport.Logits, .. CodedBlockIndices.Select(OnnxExport.EnergiesOutput)];
    }

    /// <summary>The metadata of the model file it was exported from.</summary>
    public ModelMetadata Meta { get; }
    /// <summary>The architecture of the exported network: input channels and size, blocks, outputs.</summary>
    public ArchitectureSpec Architecture => Meta.Architecture;

    /// <summary>The blocks whose energies the file outputs (none for an extracted classifier).</summary>
    public IReadOnlyList<int> CodedBlockIndices { get; }

    /// <summary>Whether a path names an ONNX file rather than a crx zip (by its extension).</summary>
    public static bool IsOnnxPath(string path) => Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Opens an exported file with ONNX Runtime on the CPU. An <see cref="InvalidInputException"/> naming
    /// <paramref name="path"/> when it is missing, not a model ONNX Runtime can load, or lacks crx's metadata or outputs.
    /// </summary>
    /// <param name="path">an .onnx file written by <see cref="OnnxModelExport"/></param>
    /// <param name="threads">intra-op threads (0: ONNX Runtime's default)</param>
    public static OnnxModel Load(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw InvalidInputException.ForFile(path, "does not exist");
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        // Idle worker threads would otherwise spin after each run and take the cores from whatever runs next
        // (TorchSharp in the same process, other work on a shared machine).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        InferenceSession session;
        try { session = new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) { throw InvalidInputException.ForFile(path, $"not an ONNX model ONNX Runtime can load ({e.Message.Split('\n')[0]})"); }
        try
        {
            var meta = OnnxMetadata.Parse(session.ModelMetadata.CustomMetadataMap, path);
            var model = new OnnxModel(session, meta);
            foreach (var name in model._outputs)
                if (!session.OutputMetadata.ContainsKey(name)) throw InvalidInputException.ForFile(path, $"the ONNX graph has no output {name}");
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs a batch of normalized images, [batch, C, H, W] row-major.</summary>
    public OnnxOutput Run(float[] images, int batch)
    {
        var arch = Architecture;
        long[] shape = [batch, arch.InputChannels, arch.ImageSize, arch.ImageSize];
        if (images.LongLength != shape.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"{images.Length} values do not make {batch} images of {arch.InputChannels}x{arch.ImageSize}x{arch.ImageSize}");
        using var input = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [OnnxExport.Input], [input], _outputs);
        var values = results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToList();
        return new OnnxOutput(batch, values[0], values.Skip(1).ToList());
    }

    /// <summary>Frees the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();
}
