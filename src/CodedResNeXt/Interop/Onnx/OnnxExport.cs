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
/// The int8 form (<see cref="QdqLayers"/>, <see cref="OnnxModelExport.ToQuantizedBytes"/>) is the same graph with each
/// BN folded into the convolution before it (a coded block's expand BN: its scale into the weight, its shift added
/// after the per-image scaling).
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
        IEnumerable<KeyValuePair<string, string>> metadata, bool energies = true) =>
        Build(architecture, stateDict, metadata, energies, qdq: null);

    /// <summary>
    /// The graph as <see cref="Build(ArchitectureSpec, IReadOnlyDictionary{string, Tensor}, IEnumerable{KeyValuePair{string, string}}, bool)"/>
    /// writes it (<paramref name="qdq"/> null), or with every batch normalization folded into the convolution before
    /// it, in one of <see cref="QdqLayers"/>' two forms: float with taps for calibration, or quantized.
    /// </summary>
    internal static byte[] Build(ArchitectureSpec architecture, IReadOnlyDictionary<string, Tensor> stateDict,
        IEnumerable<KeyValuePair<string, string>> metadata, bool energies, QdqLayers? qdq)
    {
        var graph = new OnnxGraph();
        var weights = new StateDict(stateDict);
        var outputs = new List<Message>();
        var layers = new Layers(graph, weights, qdq);

        var stem = architecture.Stem;
        string x = layers.Activation(Input, "images", relu: false);
        x = layers.ConvBn(x, "stem.conv.weight", "stem.bn", stem.Stride, stem.Kernel / 2, relu: true, key: "stem");
        if (stem.MaxPool)
        {
            x = graph.Add("MaxPool", [x], null, IntsAttribute("kernel_shape", 3, 3), IntsAttribute("strides", 2, 2), IntsAttribute("pads", 1, 1, 1, 1));
            x = layers.Activation(x, "stem.pool", relu: false);
        }

        int size = stem.OutputSize(architecture.ImageSize);
        for (int i = 0; i < architecture.Blocks.Count; i++)
        {
            var block = architecture.Blocks[i];
            size = (size - 1) / block.Stride + 1;
            string? energiesOutput = block.IsCoded && energies ? EnergiesOutput(i) : null;
            x = Block(layers, x, block, $"blocks.{i}", size, energiesOutput);
            if (energiesOutput is not null) outputs.Add(ValueInfo(energiesOutput, null, block.SubNNs));
        }

        var pooled = graph.Add("GlobalAveragePool", [x]);
        var features = layers.Activation(graph.Add("Flatten", [pooled], null, IntAttribute("axis", 1)), "features", relu: false);
        var classifier = layers.Weight("classifier.weight", quantize: true, out _, architecture.Outputs, architecture.Features);
        graph.Add("Gemm", [features, classifier], Logits, IntAttribute("transB", 1));
        outputs.Insert(0, ValueInfo(Logits, null, architecture.Outputs));
        if (qdq is not null) outputs.AddRange(qdq.Taps.Select(key => ValueInfoAnyShape(QdqLayers.TapName(key))));

        weights.CheckAllUsed();
        var input = ValueInfo(Input, null, architecture.InputChannels, architecture.ImageSize, architecture.ImageSize);
        var model = OnnxProto.Graph(architecture.Name, graph.Nodes, graph.Initializers, [input], outputs);
        string version = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0";
        return OnnxProto.Model(model, version, metadata);
    }

    private static string Block(Layers layers, string x, BlockSpec block, string p, int size, string? energiesOutput)
    {
        var graph = layers.Graph;
        int n = block.SubNNs, d = block.BottleneckWidth, width = block.Width, cOut = block.OutChannels;
        string h = layers.ConvBn(x, $"{p}.conv_reduce.weight", $"{p}.bn_reduce", 1, 0, relu: true, key: $"{p}.reduce", expected: [width, block.InChannels, 1, 1]);
        h = layers.ConvBn(h, $"{p}.conv_conv.weight", $"{p}.bn", block.Stride, 1, relu: true, key: $"{p}.grouped", groups: n, grouped: true,
            expected: [width, d, 3, 3]);

        string branch;
        if (block.IsCoded)
        {
            // BN(s * conv(h)) = s * conv'(h) + b' for the per-image scale s: the BN's scale folds into the weight, its
            // shift is added after the scaling (Layers.ExpandConv, Layers.ExpandShift; unfolded, the BN node after the Mul).
            string expand = layers.ExpandConv(h, $"{p}.conv_expand.weight", $"{p}.bn_expand", $"{p}.expand", expected: [cOut, width, 1, 1]);
            // sum_p h_n(p) h_n(p)^T against G_n = W_n^T W_n gives E(t_n) without materializing the N outputs t_n.
            var hn = graph.Add("Reshape", [h, graph.Ints(0, n, d, -1)]);
            var moments = graph.Add("MatMul", [hn, graph.Add("Transpose", [hn], null, IntsAttribute("perm", 0, 1, 3, 2))]);
            var gram = graph.Weight($"{p}.conv_expand.gram", [n, d, d], layers.Weights.Gram($"{p}.conv_expand.weight", n));
            var quadratic = graph.Add("ReduceSum", [graph.Add("Mul", [moments, gram]), graph.Ints(2, 3)], null, IntAttribute("keepdims", 0));
            var energy = graph.Add("Div", [quadratic, graph.Scalar((float)cOut * size * size)]);

            var total = graph.Add("ReduceSum", [energy, graph.Ints(1)], null, IntAttribute("keepdims", 1));
            var mean = graph.Add("Div", [total, graph.Scalar(block.NormalizationSubNNs)]);
            mean = graph.Add("Where", [graph.Add("Equal", [mean, graph.Scalar(0)]), graph.Scalar(ZeroGuard), mean]);
            if (energiesOutput is not null) graph.Add("Div", [energy, mean], energiesOutput);

            var scale = graph.Add("Reshape", [graph.Add("Reciprocal", [graph.Add("Sqrt", [mean])]), graph.Ints(-1, 1, 1, 1)]);
            branch = layers.ExpandShift(graph.Add("Mul", [expand, scale]), $"{p}.bn_expand");
        }
        else branch = layers.ConvBn(h, $"{p}.conv_expand.weight", $"{p}.bn_expand", 1, 0, relu: false, key: $"{p}.expand", expected: [cOut, width, 1, 1]);

        string shortcut = x;
        if (block.HasProjectionShortcut)
            shortcut = layers.ConvBn(x, $"{p}.shortcut.conv.weight", $"{p}.shortcut.bn", block.Stride, 0, relu: false, key: $"{p}.shortcut",
                expected: [cOut, block.InChannels, 1, 1]);
        return layers.Output(graph.Add("Add", [branch, shortcut]), $"{p}.out");
    }

    /// <summary>
    /// The layers of the graph in the form asked: as trained (a Conv node, then a BatchNormalization node), or folded
    /// (one Conv with the BN's scale in its weight and its shift as bias) through <see cref="QdqLayers"/>.
    /// </summary>
    private sealed class Layers(OnnxGraph graph, StateDict weights, QdqLayers? qdq)
    {
        public OnnxGraph Graph => graph;
        public StateDict Weights => weights;

        /// <summary>An activation later layers read: itself as trained, tapped or quantized when folded.</summary>
        public string Activation(string x, string key, bool relu) =>
            qdq is null ? relu ? graph.Add("Relu", [x]) : x : qdq.Activation(graph, x, key, relu);

        /// <summary>A block's output: ReLU(x), then (folded) tapped or quantized.</summary>
        public string Output(string x, string key) => Activation(x, key, relu: true);

        /// <summary>The whole weight as it is (the classifier), or int8 when quantizing.</summary>
        public string Weight(string name, bool quantize, out float[]? scales, params long[] expected)
        {
            scales = null;
            if (qdq is null) return weights.Use(graph, name, expected);
            var (dims, values) = weights.Values(name, expected);
            return qdq.Weight(graph, name, dims, values, quantize, out scales);
        }

        /// <summary>A conv and its BN (then a ReLU when <paramref name="relu"/>); <paramref name="grouped"/>: the block's grouped 3x3 conv, one group per subNN.</summary>
        public string ConvBn(string x, string weight, string bn, int stride, int padding, bool relu, string key, int groups = 1, bool grouped = false,
            long[]? expected = null)
        {
            if (qdq is null)
            {
                string y = BatchNorm(Conv(x, weights.Use(graph, weight, expected), null, stride, padding, groups), bn);
                return relu ? graph.Add("Relu", [y]) : y;
            }
            var (w, bias) = Folded(weight, bn, expected, grouped);
            string conv = Conv(x, w.Name, qdq.Bias(graph, $"{weight}.folded_bias", bias, x, w.Scales), stride, padding, groups);
            return qdq.Activation(graph, conv, key, relu);
        }

        /// <summary>A coded block's expand conv before its per-image scaling: as trained, the bare conv; folded, the BN's scale in the weight.</summary>
        public string ExpandConv(string h, string weight, string bn, string key, long[] expected)
        {
            if (qdq is null) return Conv(h, weights.Use(graph, weight, expected), null, 1, 0, 1);
            var (w, _) = Folded(weight, bn, expected, grouped: false);
            return qdq.Activation(graph, Conv(h, w.Name, null, 1, 0, 1), key, relu: false);
        }

        /// <summary>What follows the per-image scaling of a coded block's expand conv: its BN as trained, the BN's shift when folded.</summary>
        public string ExpandShift(string scaled, string bn)
        {
            if (qdq is null) return BatchNorm(scaled, bn);
            var (_, shift) = weights.BatchNorm(bn);
            return graph.Add("Add", [scaled, graph.Weight($"{bn}.folded_shift", [shift.Length, 1, 1], shift)]);
        }

        private string BatchNorm(string x, string bn) =>
            graph.Add("BatchNormalization",
                [x, weights.Use(graph, $"{bn}.weight"), weights.Use(graph, $"{bn}.bias"), weights.Use(graph, $"{bn}.running_mean"), weights.Use(graph, $"{bn}.running_var")],
                null, FloatAttribute("epsilon", BnEpsilon));

        /// <summary>The conv weight with the BN's scale folded in (int8 unless grouped and kept float), and the BN's shift.</summary>
        private ((string Name, float[]? Scales) Weight, float[] Bias) Folded(string weight, string bn, long[]? expected, bool grouped)
        {
            var (dims, values) = weights.Values(weight, expected);
            var (scale, shift) = weights.BatchNorm(bn);
            int per = values.Length / scale.Length;
            for (int c = 0; c < scale.Length; c++)
                for (int i = 0; i < per; i++) values[c * per + i] *= scale[c];
            string name = qdq!.Weight(graph, $"{weight}.folded", dims, values, quantize: !grouped || qdq.QuantizeGroupedConvolutions, out var scales);
            return ((name, scales), shift);
        }

        private string Conv(string x, string w, string? bias, int stride, int padding, int groups) =>
            graph.Add("Conv", bias is null ? [x, w] : [x, w, bias], null,
                IntsAttribute("strides", stride, stride), IntsAttribute("pads", padding, padding, padding, padding), IntAttribute("group", groups));
    }

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

        /// <summary>A float tensor's shape and values (a copy), marked used.</summary>
        public (long[] Dims, float[] Values) Values(string name, long[]? expected = null)
        {
            var t = Get(name);
            if (expected is { Length: > 0 } && !t.shape.SequenceEqual(expected))
                throw new InvalidInputException($"state_dict: {name} has shape [{string.Join(",", t.shape)}], the architecture needs [{string.Join(",", expected)}]");
            _used.Add(name);
            using var values = t.detach().to(ScalarType.Float32).contiguous().cpu();
            return (t.shape, values.data<float>().ToArray());
        }

        /// <summary>An inference-mode BN as y = scale * x + shift per channel: scale = gamma / sqrt(var + eps), shift = beta - scale * mean.</summary>
        public (float[] Scale, float[] Shift) BatchNorm(string bn)
        {
            var gamma = Values($"{bn}.weight").Values;
            var beta = Values($"{bn}.bias").Values;
            var mean = Values($"{bn}.running_mean").Values;
            var variance = Values($"{bn}.running_var").Values;
            var scale = new float[gamma.Length];
            var shift = new float[gamma.Length];
            for (int c = 0; c < gamma.Length; c++)
            {
                scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + (double)BnEpsilon));
                shift[c] = beta[c] - scale[c] * mean[c];
            }
            return (scale, shift);
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
