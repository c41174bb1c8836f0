using static CodedResNeXt.Interop.Onnx.OnnxProto;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>Collects the nodes and initializers of one ONNX graph and names the values between them.</summary>
internal sealed class OnnxGraph
{
    private readonly List<Message> _nodes = [];
    private readonly List<Message> _initializers = [];
    private readonly HashSet<string> _initializerNames = [];
    private int _next;

    public IReadOnlyList<Message> Nodes => _nodes;
    public IReadOnlyList<Message> Initializers => _initializers;

    /// <summary>Adds a node; its single output is <paramref name="output"/>, or a fresh name.</summary>
    public string Add(string opType, string[] inputs, string? output = null, params Message[] attributes)
    {
        output ??= $"{opType.ToLowerInvariant()}_{_next}";
        _nodes.Add(Node(opType, $"{opType}_{_next++}", inputs, [output], attributes));
        return output;
    }

    public string Weight(string name, long[] dims, float[] values)
    {
        if (_initializerNames.Add(name)) _initializers.Add(Tensor(name, dims, values));
        return name;
    }

    /// <summary>An initializer of any element type (the quantized graph's integer weights, scales' zero points).</summary>
    public string Raw(string name, long[] dims, int dataType, byte[] raw)
    {
        if (_initializerNames.Add(name)) _initializers.Add(Tensor(name, dims, dataType, raw));
        return name;
    }

    /// <summary>A float scalar constant, shared by every node that uses the same value.</summary>
    public string Scalar(float value) =>
        Weight($"const.{BitConverter.SingleToInt32Bits(value):x8}", [], [value]);

    /// <summary>An int64 vector constant (shapes, axes).</summary>
    public string Ints(params long[] values)
    {
        string name = $"const.[{string.Join(",", values)}]";
        if (_initializerNames.Add(name)) _initializers.Add(Tensor(name, [values.Length], values));
        return name;
    }
}
