using CodedResNeXt.ModelFiles;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using ModelMetadata = CodedResNeXt.ModelMetadata;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>What one ONNX Runtime pass gives: logits [B, outputs] and each coded block's energies [B, N], row-major.</summary>
/// <param name="Batch">B, the images run</param>
/// <param name="Logits">[B, outputs], row-major</param>
/// <param name="Energies">per coded block (<see cref="OnnxModel.CodedBlockIndices"/>), the normalized energies [B, N], row-major</param>
internal sealed record OnnxOutput(int Batch, float[] Logits, IReadOnlyList<float[]> Energies);

/// <summary>
/// An exported file (<see cref="OnnxModelExport"/>) run by ONNX Runtime on the CPU. Everything needed to use it
/// (normalization, class names, thresholds, codewords) comes from its metadata_props.
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputs;

    private readonly string _path;

    private OnnxModel(InferenceSession session, ModelMetadata meta, string path)
    {
        _session = session;
        _path = path;
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
    /// The largest ONNX file read: protobuf's own limit. The export of the largest preset (imagenet, 25 M parameters)
    /// is about 100 MB.
    /// </summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>
    /// Opens an exported file with ONNX Runtime on the CPU, once its graph has been checked to be one crx export
    /// writes for the architecture its metadata names (<see cref="OnnxGraphCheck"/>): what ONNX Runtime may allocate
    /// and compute is bounded by that architecture, and it runs the bytes that were checked. An
    /// <see cref="InvalidInputException"/> naming <paramref name="path"/> when it is missing, not a file, not a
    /// model ONNX Runtime can load, or not such a graph.
    /// </summary>
    /// <param name="path">an .onnx file written by <see cref="OnnxModelExport"/></param>
    /// <param name="threads">intra-op threads (0: ONNX Runtime's default)</param>
    public static OnnxModel Load(string path, int threads = 0)
    {
        byte[] file = InputFile.ReadBytes(path, MaxFileBytes, "ONNX file");
        var meta = OnnxGraphCheck.Check(file, path);
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        // Idle worker threads would otherwise spin after each run and take the cores from whatever runs next
        // (TorchSharp in the same process, other work on a shared machine).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        InferenceSession session;
        try { session = new InferenceSession(file, options); }
        catch (OnnxRuntimeException e) { throw InvalidInputException.ForFile(path, $"not an ONNX model ONNX Runtime can load ({e.Message.Split('\n')[0]})"); }
        try
        {
            var model = new OnnxModel(session, meta, path);
            foreach (var name in model._outputs)
                if (!session.OutputMetadata.TryGetValue(name, out var output) || output.ElementDataType != TensorElementType.Float)
                    throw InvalidInputException.ForFile(path, $"the ONNX graph has no float output {name}");
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a batch of normalized images, [batch, C, H, W] row-major. Each output is checked to be float and of the
    /// shape the metadata promises before it is read; a graph ONNX Runtime fails to run is an
    /// <see cref="InvalidInputException"/> naming the file.
    /// </summary>
    public OnnxOutput Run(float[] images, int batch)
    {
        var arch = Architecture;
        long[] shape = [batch, arch.InputChannels, arch.ImageSize, arch.ImageSize];
        if (images.LongLength != shape.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"{images.Length} values do not make {batch} images of {arch.InputChannels}x{arch.ImageSize}x{arch.ImageSize}");
        using var input = OrtValue.CreateTensorValueFromMemory(images, shape);
        using var runOptions = new RunOptions();
        IDisposableReadOnlyCollection<OrtValue> results;
        try { results = _session.Run(runOptions, [OnnxExport.Input], [input], _outputs); }
        catch (OnnxRuntimeException e) { throw InvalidInputException.ForFile(_path, $"ONNX Runtime cannot run its graph ({e.Message.Split('\n')[0]})"); }
        using (results)
        {
            var values = new List<float[]>();
            for (int i = 0; i < _outputs.Length; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                long width = i == 0 ? arch.Outputs : arch.Blocks[CodedBlockIndices[i - 1]].SubNNs;
                if (info.ElementDataType != TensorElementType.Float || !info.Shape.SequenceEqual([batch, width]))
                    throw InvalidInputException.ForFile(_path, $"its graph computed {_outputs[i]} as {info.ElementDataType} [{string.Join(", ", info.Shape)}], " +
                                                                $"not float [{batch}, {width}] as its metadata says");
                values.Add(results[i].GetTensorDataAsSpan<float>().ToArray());
            }
            return new OnnxOutput(batch, values[0], values.Skip(1).ToList());
        }
    }

    /// <summary>Frees the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();
}
