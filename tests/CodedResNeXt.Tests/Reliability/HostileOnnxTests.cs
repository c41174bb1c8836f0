using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.TestSupport;
using static CodedResNeXt.Tests.TestSupport.OnnxGraphs;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31: an ONNX graph is a program ONNX Runtime runs. Graphs with the valid metadata of a real export but a
/// body that allocates without bound, loops for ever, outputs another dtype or count, or takes another input shape
/// are refused in one line before ONNX Runtime runs them, within <see cref="TimeBound"/> and
/// <see cref="MemoryBound"/>; a graph that passes and computes NaN is refused at prediction; a quantized (QDQ)
/// graph is accepted.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class HostileOnnxTests(ReliabilityRun fixture)
{
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(20);
    private const long MemoryBound = 512L << 20;

    /// <summary>Whether the hostile cases are built on the int8 export instead of the float32 one.</summary>
    private bool _int8;

    /// <summary>The fixture's checkpoint as crx export writes it: 1x8x8 input, 10 logits, energies of blocks 1, 2 and 3 (int8: quantized, calibrated on random images).</summary>
    private string Export()
    {
        string path = fixture.NewPath("export-") + ".onnx";
        var random = new Random(3);
        var pixels = new byte[32 * 64];
        random.NextBytes(pixels);
        var images = new CodedResNeXt.Data.ImageDataset("random", pixels, new int[32], ["only"], 1, 8, 8);
        OnnxModelExport.ExportFile(fixture.Checkpoint, path, quantization: _int8 ? new QuantizationOptions { CalibrationSet = images } : null);
        return path;
    }

    /// <summary>The export with its logits renamed "logits0" and <paramref name="nodes"/> computing "logits" from them.</summary>
    private string Hostile(string name, byte[][] nodes, byte[][]? initializers = null, Func<Exported, Exported>? more = null)
    {
        var graph = Exported.Read(Export()).Rename("logits", "logits0").With(nodes, initializers);
        graph = more?.Invoke(graph) ?? graph;
        string path = fixture.NewPath(name + "-") + ".onnx";
        graph.Write(path);
        return path;
    }

    private string Case(string kind) => kind switch
    {
        // 2^28 floats from a 40-byte node, reduced to a scalar added to the logits: 1 GiB, then a prediction.
        "constant-of-shape" => Hostile(kind,
            [Node("ConstantOfShape", ["big.shape"], ["big"]), Node("ReduceSum", ["big"], ["big.sum"], IntAttribute("keepdims", 0)), Node("Add", ["logits0", "big.sum"], ["logits"])],
            [Int64Tensor("big.shape", 1L << 28)]),
        // Only operators the export uses: outer products of the image with itself, 64 -> 4096 -> 16.7 M -> 2.8e14 elements.
        "outer-product" => Hostile(kind,
        [
            Node("Flatten", ["images"], ["o.flat"], IntAttribute("axis", 1)),
            Node("Reshape", ["o.flat", "o.col"], ["o.a1"]), Node("Reshape", ["o.flat", "o.row"], ["o.b1"]), Node("Mul", ["o.a1", "o.b1"], ["o.m1"]),
            Node("Reshape", ["o.m1", "o.col"], ["o.a2"]), Node("Reshape", ["o.m1", "o.row"], ["o.b2"]), Node("Mul", ["o.a2", "o.b2"], ["o.m2"]),
            Node("Reshape", ["o.m2", "o.col"], ["o.a3"]), Node("Reshape", ["o.m2", "o.row"], ["o.b3"]), Node("Mul", ["o.a3", "o.b3"], ["o.m3"]),
            Node("ReduceSum", ["o.m3"], ["o.sum"], IntAttribute("keepdims", 0)), Node("Add", ["logits0", "o.sum"], ["logits"]),
        ], [Int64Tensor("o.col", 0, -1, 1), Int64Tensor("o.row", 0, 1, -1)]),
        // A Loop of 2^62 iterations whose body passes its state on.
        "loop" => Hostile(kind, [Node("Loop", ["loop.count", "loop.go", "loop.v0"], ["loop.v"], GraphAttribute("body", LoopBody())), Node("Add", ["logits0", "loop.v"], ["logits"])],
            [Tensor("loop.count", [], Int64Type, BitConverter.GetBytes(1L << 62)), Tensor("loop.go", [], BoolType, [1]), FloatTensor("loop.v0", [], 0f)]),
        // Logits of another dtype.
        "double-logits" => Hostile(kind, [Node("Cast", ["logits0"], ["logits"], IntAttribute("to", DoubleType))],
            more: g => g.Replace(12, "logits", ValueInfo("logits", DoubleType, "batch", 10))),
        // Three logits where the metadata names ten classes.
        "three-logits" => Hostile(kind, [Node("Flatten", ["images"], ["t.flat"], IntAttribute("axis", 1)), Node("MatMul", ["t.flat", "t.w"], ["logits"])],
            [FloatTensor("t.w", [64, 3], new float[192])], g => g.Replace(12, "logits", ValueInfo("logits", FloatType, "batch", 3))),
        // An input of 7x7 where the metadata promises 8x8.
        "input-7x7" => Hostile(kind, [Node("Mul", ["logits0", "one"], ["logits"])], [FloatTensor("one", [], 1f)],
            g => g.Replace(11, "images", ValueInfo("images", FloatType, "batch", 1, 7, 7))),
        // An operator of another domain.
        "custom-domain" => Hostile(kind, [CustomNode()]),
        _ => throw new ArgumentException(kind),
    };

    private static byte[] LoopBody() => new Message()
        .Add(1, Node("Identity", ["go.in"], ["go.out"])).Add(1, Node("Identity", ["v.in"], ["v.out"])).Add(2, "body")
        .Add(11, ValueInfo("i", Int64Type)).Add(11, ValueInfo("go.in", BoolType)).Add(11, ValueInfo("v.in", FloatType))
        .Add(12, ValueInfo("go.out", BoolType)).Add(12, ValueInfo("v.out", FloatType)).ToArray();

    private static byte[] CustomNode()
    {
        var node = Message.Parse(Node("Gelu", ["logits0"], ["logits"]));
        return node.Add(7, "com.microsoft").ToArray();
    }

    /// <summary>Loads and predicts 2 images on a thread of its own: the exception it ended with, within the time bound, and the peak memory it took.</summary>
    private static (Exception? Error, long Memory) Predict(string path)
    {
        Exception? error = null;
        bool finished = false;
        long memory = PeakMemory.Above(() =>
        {
            var thread = new Thread(() =>
            {
                try
                {
                    using var model = PredictionModel.Load(path);
                    using var pixels = rand(2, 1, 8, 8);
                    model.Predict(pixels);
                }
                catch (Exception e) { error = e; }
            }) { IsBackground = true };
            thread.Start();
            finished = thread.Join(TimeBound);
        });
        Assert.True(finished, $"{Path.GetFileName(path)}: not loaded, predicted or refused within {TimeBound.TotalSeconds} s");
        return (error, memory);
    }

    [Theory]
    [InlineData("constant-of-shape", "a node runs ConstantOfShape, which crx export never writes")]
    [InlineData("outer-product", "a Mul node makes a value of")]
    [InlineData("loop", "has field 6 (a tensor, a graph or a reference), which this program does not run")]
    [InlineData("double-logits", "its output logits is double [batch, 10], not float [batch, 10] as its metadata says")]
    [InlineData("three-logits", "its output logits is float [batch, 3], not float [batch, 10] as its metadata says")]
    [InlineData("input-7x7", "its input images is float [batch, 1, 7, 7], not float [batch, 1, 8, 8] as its metadata says")]
    [InlineData("custom-domain", "a node is of domain com.microsoft; only ONNX's own operators run")]
    public void A_hostile_graph_with_valid_metadata_is_refused_before_ONNX_Runtime_runs_it(string kind, string expected)
    {
        string path = Case(kind);

        var (error, memory) = Predict(path);

        var refused = Assert.IsType<InvalidInputException>(error);
        Assert.StartsWith($"{path}: not an ONNX graph crx export writes: ", refused.Message);
        Assert.Contains(expected, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.True(memory < MemoryBound, $"{kind}: the peak resident set rose by {memory >> 20} MiB");
    }

    [Theory]
    [InlineData("constant-of-shape", "a node runs ConstantOfShape, which crx export never writes")]
    [InlineData("outer-product", "a Mul node makes a value of")]
    [InlineData("three-logits", "its output logits is float [batch, 3], not float [batch, 10] as its metadata says")]
    [InlineData("input-7x7", "its input images is float [batch, 1, 7, 7], not float [batch, 1, 8, 8] as its metadata says")]
    public void An_int8_export_is_accepted_and_a_hostile_graph_built_on_it_is_refused(string kind, string expected)
    {
        _int8 = true;
        string int8 = Export();
        Assert.NotNull(OnnxMetadata.Quantization(int8));
        Assert.Null(Predict(int8).Error);

        string path = Case(kind);
        var (error, memory) = Predict(path);

        var refused = Assert.IsType<InvalidInputException>(error);
        Assert.StartsWith($"{path}: not an ONNX graph crx export writes: ", refused.Message);
        Assert.Contains(expected, refused.Message);
        Assert.True(memory < MemoryBound, $"{kind}: the peak resident set rose by {memory >> 20} MiB");
    }

    [Fact]
    public void A_graph_that_computes_NaN_is_refused_at_prediction_not_printed()
    {
        string path = Hostile("nan", [Node("Add", ["logits0", "nan"], ["logits"])], [FloatTensor("nan", [], float.NaN)]);

        var (error, _) = Predict(path);

        Assert.Equal($"{path}: the network computed non-finite logits (NaN or infinity) from finite images: its weights are not a trained network's",
            Assert.IsType<InvalidInputException>(error).Message);
    }

    [Fact]
    public void A_quantized_QDQ_graph_is_accepted_and_predicts()
    {
        // The images quantized to int8 and back (the pattern quantization tools insert before each convolution).
        string path = Exported.Read(Export()).Redirect("images", "images.dq").With(
        [
            Node("QuantizeLinear", ["images", "q.scale", "q.zero"], ["images.q"]),
            Node("DequantizeLinear", ["images.q", "q.scale", "q.zero"], ["images.dq"]),
        ], [FloatTensor("q.scale", [], 0.05f), Tensor("q.zero", [], Int8Type, [0])], first: true) is var graph ? Write(graph, "qdq") : "";

        var (error, _) = Predict(path);

        Assert.Null(error);
        using var model = PredictionModel.Load(path);
        using var pixels = rand(3, 1, 8, 8);
        Assert.All(model.Predict(pixels), p => Assert.InRange(p.Prediction!.Probability, 0, 1));
    }

    private string Write(Exported graph, string name)
    {
        string path = fixture.NewPath(name + "-") + ".onnx";
        graph.Write(path);
        return path;
    }

    [Theory]
    [InlineData("double-logits")]
    [InlineData("input-7x7")]
    [InlineData("nan")]
    public void Predict_on_a_hostile_graph_exits_2_in_one_line(string kind)
    {
        string path = kind == "nan" ? Hostile("nan", [Node("Add", ["logits0", "nan"], ["logits"])], [FloatTensor("nan", [], float.NaN)]) : Case(kind);
        string image = fixture.NewPath("image-") + ".png";
        using (var bitmap = new SkiaSharp.SKBitmap(8, 8))
        {
            bitmap.Erase(new SkiaSharp.SKColor(90, 90, 90));
            ImageFolders.Save(bitmap, image);
        }

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", path, image);

        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.StartsWith($"crx: error: {path}: ", Assert.Single(error.Trim().Split('\n')));
    }

    [Fact]
    public void A_folder_named_like_an_ONNX_file_is_called_a_folder()
    {
        string folder = fixture.NewPath("model-") + ".onnx", image = fixture.NewPath("image-") + ".png";
        Directory.CreateDirectory(folder);
        using (var bitmap = new SkiaSharp.SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", folder, image);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {folder}: is a folder, not an ONNX file", error.Trim());
    }
}
