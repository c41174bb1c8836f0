using CodedResNeXt.Model;
using static CodedResNeXt.Interop.Onnx.OnnxProto;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// Writes a network as an ONNX graph (opset 17, IR version 8) built from its architecture and its state_dict,
/// not traced: input "images" [batch, C, H, W] (normalized as in training); outputs "logits" [batch, outputs] and,
/// when asked, "energies.{i}" [batch, N] for every coded block i, the normalized energies E(t̄_n) of docs/method.md#energy-and-the-coding-loss.
/// Batch normalization stays as inference-mode BatchNormalization nodes holding the running statistics (ONNX
/// Runtime folds them into the convolutions when it loads the graph); initializers keep the PyTorch names.
/// A coded block is written in the fused form of <see cref="ResNeXtBlock"/>: E(t_n) from the Gram matrices of the
/// expand weight, the mean over the block's normalization subNNs (the original N for an extracted block), and
/// the dense 1x1 expand conv scaled by 1/sqrt(mean), which equals rescaling every subNN's channels first.
/// </summary>
internal static class OnnxExport
{
    /// <summary>BatchNorm2d's default epsilon, which every BN of the network uses.</summary>
    private const float BnEpsilon = 1e-5f;

    // Stands in for a zero mean energy, as EnergyNormalization does.
    private const float ZeroGuard = 1e-12f;

    /// <summary>The graph's input: normalized images [batch, C, H, W].</summary>
    public const string Input = "images";
    /// <summary>The graph's first output: logits [batch, outputs].</summary>
    public const string Logits = "logits";

    /// <summary>The name of coded block <paramref name="blockIndex"/>'s energies output.</summary>
    public static string EnergiesOutput(int blockIndex) => $"energies.{blockIndex}";

    /// <summary>
    /// The ONNX model bytes of <paramref name="architecture"/> with weights <paramref name="stateDict"/> (PyTorch
    /// names, BN running statistics included) and <paramref name="metadata"/> as metadata_props.
    /// </summary>
    public static byte[] Build(ArchitectureSpec architecture, IReadOnlyDictionary<string, Tensor> stateDict,
        IEnumerable<KeyValuePair<string, string>> metadata, bool energies = true)
    {
        var graph = new OnnxGraph();
        var weights = new StateDict(stateDict);
        var outputs = new List<Message>();

        var stem = architecture.Stem;
        string x = Conv(graph, weights, Input, "stem.conv.weight", stem.Stride, stem.Kernel / 2);
        x = graph.Add("Relu", [BatchNorm(graph, weights, x, "stem.bn")]);
        if (stem.MaxPool)
            x = graph.Add("MaxPool", [x], null, IntsAttribute("kernel_shape", 3, 3), IntsAttribute("strides", 2, 2), IntsAttribute("pads", 1, 1, 1, 1));

        int size = stem.OutputSize(architecture.ImageSize);
        for (int i = 0; i < architecture.Blocks.Count; i++)
        {
            var block = architecture.Blocks[i];
            size = (size - 1) / block.Stride + 1;
            string? energiesOutput = block.IsCoded && energies ? EnergiesOutput(i) : null;
            x = Block(graph, weights, x, block, $"blocks.{i}", size, energiesOutput);
            if (energiesOutput is not null) outputs.Add(ValueInfo(energiesOutput, null, block.SubNNs));
        }

        var pooled = graph.Add("GlobalAveragePool", [x]);
        var features = graph.Add("Flatten", [pooled], null, IntAttribute("axis", 1));
        var classifier = weights.Use(graph, "classifier.weight", architecture.Outputs, architecture.Features);
        graph.Add("Gemm", [features, classifier], Logits, IntAttribute("transB", 1));
        outputs.Insert(0, ValueInfo(Logits, null, architecture.Outputs));

        weights.CheckAllUsed();
        var input = ValueInfo(Input, null, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize);
        var model = OnnxProto.Graph(architecture.Name, graph.Nodes, graph.Initializers, [input], outputs);
        string version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0";
        return OnnxProto.Model(model, version, metadata);
    }

    private static string Block(OnnxGraph graph, StateDict weights, string x, BlockSpec block, string p, int size, string? energiesOutput)
    {
        int n = block.SubNNs, d = block.BottleneckWidth, width = block.Width, cOut = block.OutChannels;
        string h = Conv(graph, weights, x, $"{p}.conv_reduce.weight", 1, 0, expected: [width, block.InChannels, 1, 1]);
        h = graph.Add("Relu", [BatchNorm(graph, weights, h, $"{p}.bn_reduce")]);
        h = Conv(graph, weights, h, $"{p}.conv_conv.weight", block.Stride, 1, groups: n, expected: [width, d, 3, 3]);
        h = graph.Add("Relu", [BatchNorm(graph, weights, h, $"{p}.bn")]);

        string branch = Conv(graph, weights, h, $"{p}.conv_expand.weight", 1, 0, expected: [cOut, width, 1, 1]);
        if (block.IsCoded)
        {
            // sum_p h_n(p) h_n(p)^T against G_n = W_n^T W_n gives E(t_n) without materializing the N outputs t_n.
            var hn = graph.Add("Reshape", [h, graph.Ints(0, n, d, -1)]);
            var moments = graph.Add("MatMul", [hn, graph.Add("Transpose", [hn], null, IntsAttribute("perm", 0, 1, 3, 2))]);
            var gram = graph.Weight($"{p}.conv_expand.gram", [n, d, d], weights.Gram($"{p}.conv_expand.weight", n));
            var quadratic = graph.Add("ReduceSum", [graph.Add("Mul", [moments, gram]), graph.Ints(2, 3)], null, IntAttribute("keepdims", 0));
            var energy = graph.Add("Div", [quadratic, graph.Scalar((float)cOut * size * size)]);

            var total = graph.Add("ReduceSum", [energy, graph.Ints(1)], null, IntAttribute("keepdims", 1));
            var mean = graph.Add("Div", [total, graph.Scalar(block.NormalizationSubNNs)]);
            mean = graph.Add("Where", [graph.Add("Equal", [mean, graph.Scalar(0)]), graph.Scalar(ZeroGuard), mean]);
            if (energiesOutput is not null) graph.Add("Div", [energy, mean], energiesOutput);

            var scale = graph.Add("Reshape", [graph.Add("Reciprocal", [graph.Add("Sqrt", [mean])]), graph.Ints(-1, 1, 1, 1)]);
            branch = graph.Add("Mul", [branch, scale]);
        }
        branch = BatchNorm(graph, weights, branch, $"{p}.bn_expand");

        string shortcut = x;
        if (block.HasProjectionShortcut)
            shortcut = BatchNorm(graph, weights,
                Conv(graph, weights, x, $"{p}.shortcut.conv.weight", block.Stride, 0, expected: [cOut, block.InChannels, 1, 1]), $"{p}.shortcut.bn");
        return graph.Add("Relu", [graph.Add("Add", [branch, shortcut])]);
    }

    private static string Conv(OnnxGraph graph, StateDict weights, string x, string weight, int stride, int padding, int groups = 1, long[]? expected = null)
    {
        var w = weights.Use(graph, weight, expected);
        return graph.Add("Conv", [x, w], null,
            IntsAttribute("strides", stride, stride), IntsAttribute("pads", padding, padding, padding, padding), IntAttribute("group", groups));
    }

    private static string BatchNorm(OnnxGraph graph, StateDict weights, string x, string bn) =>
        graph.Add("BatchNormalization",
            [x, weights.Use(graph, $"{bn}.weight"), weights.Use(graph, $"{bn}.bias"),
             weights.Use(graph, $"{bn}.running_mean"), weights.Use(graph, $"{bn}.running_var")],
            null, FloatAttribute("epsilon", BnEpsilon));

    /// <summary>The state_dict, read by name; every float tensor must end up in the graph.</summary>
    private sealed class StateDict(IReadOnlyDictionary<string, Tensor> tensors)
    {
        private readonly HashSet<string> _used = [];

        public string Use(OnnxGraph graph, string name, params long[]? expected)
        {
            var t = Get(name);
            if (expected is { Length: > 0 } && !t.shape.SequenceEqual(expected))
                throw new InvalidInputException($"state_dict: {name} has shape [{string.Join(",", t.shape)}], the architecture needs [{string.Join(",", expected)}]");
            _used.Add(name);
            using var values = t.detach().to(ScalarType.Float32).contiguous().cpu();
            return graph.Weight(name, t.shape, values.data<float>().ToArray());
        }

        /// <summary>G_n = W_n^T W_n of a dense expand weight [C_out, N*d, 1, 1], computed as the fused block computes it.</summary>
        public float[] Gram(string name, int subNNs)
        {
            var w = Get(name);
            using var scope = NewDisposeScope();
            var reshaped = w.detach().to(ScalarType.Float32).reshape(w.shape[0], subNNs, -1);
            return einsum("cni,cnj->nij", reshaped, reshaped).contiguous().cpu().data<float>().ToArray();
        }

        public void CheckAllUsed()
        {
            var unused = tensors.Keys.Where(k => !k.EndsWith("num_batches_tracked") && !_used.Contains(k)).ToList();
            if (unused.Count > 0)
                throw new InvalidInputException($"state_dict: {unused.Count} tensors the architecture does not use, e.g. {unused[0]}");
        }

        private Tensor Get(string name) =>
            tensors.TryGetValue(name, out var t) ? t : throw new InvalidInputException($"state_dict: no tensor {name}");
    }
}
