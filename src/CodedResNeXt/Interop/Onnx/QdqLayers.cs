using System.Runtime.InteropServices;
using static CodedResNeXt.Interop.Onnx.OnnxProto;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// The range [Lo, Hi] an activation is quantized over (it always holds 0), and the uint8 scale and zero point that
/// cover it: x ≈ scale * (q - zero), q in 0..255. A ReLU's output has Lo = 0, so its zero point is 0 and
/// QuantizeLinear's saturation at 0 is the ReLU itself.
/// </summary>
internal sealed record ActivationRange(float Lo, float Hi)
{
    public (float Scale, byte Zero) Uint8()
    {
        float lo = Math.Min(Lo, 0), hi = Math.Max(Hi, 0);
        float scale = (hi - lo) / 255f;
        if (!(scale > 0) || !float.IsFinite(scale)) return (1f, 0);
        return (scale, (byte)Math.Clamp(MathF.Round(-lo / scale), 0, 255));
    }
}

/// <summary>
/// The two forms of the folded graph <see cref="OnnxExport"/> writes once batch normalization is folded into the
/// convolutions. Calibrating: float, every activation a later convolution or the classifier reads is also an output
/// "tap.{key}" (<see cref="OnnxCalibration"/> measures them). Quantizing: each of those activations goes through
/// QuantizeLinear/DequantizeLinear (uint8, one scale per tensor, from its measured range), each convolution and the
/// classifier read int8 weights (symmetric, one scale per output channel) through DequantizeLinear, and biases are
/// int32 at the scale input scale x weight scale: the QDQ form that ONNX Runtime runs as integer convolutions.
/// A ReLU that feeds a quantized activation is not written: the activation's zero point is 0, and quantizing
/// saturates at it.
/// </summary>
internal sealed class QdqLayers
{
    /// <summary>Largest magnitude of a symmetric int8 weight (-128 is left out, so that the range is symmetric).</summary>
    public const int WeightLevels = 127;

    private readonly IReadOnlyDictionary<string, ActivationRange>? _ranges;
    private readonly Dictionary<string, float> _activationScales = new(StringComparer.Ordinal);

    private readonly bool _exposeTaps;

    private QdqLayers(IReadOnlyDictionary<string, ActivationRange>? ranges, bool quantizeGrouped, bool exposeTaps)
    {
        _ranges = ranges;
        QuantizeGroupedConvolutions = quantizeGrouped;
        _exposeTaps = exposeTaps || ranges is null;
    }

    /// <summary>The float graph with taps, for calibration.</summary>
    public static QdqLayers Calibrating() => new(null, true, true);

    /// <summary>
    /// The quantized graph with the activation ranges measured on the calibrating graph's taps; with
    /// <paramref name="exposeTaps"/>, each dequantized activation is an output "tap.{key}" too (for tests, layer by layer).
    /// </summary>
    public static QdqLayers Quantizing(IReadOnlyDictionary<string, ActivationRange> ranges, bool quantizeGroupedConvolutions, bool exposeTaps = false) =>
        new(ranges, quantizeGroupedConvolutions, exposeTaps);

    public bool IsCalibrating => _ranges is null;
    /// <summary>Whether grouped (3x3, one group per subNN) convolutions get int8 weights, or stay float.</summary>
    public bool QuantizeGroupedConvolutions { get; }
    /// <summary>The keys of the taps, in graph order (the outputs "tap.{key}" after logits and energies).</summary>
    public List<string> Taps { get; } = [];

    public static string TapName(string key) => $"tap.{key}";

    /// <summary>
    /// The activation <paramref name="x"/> (after a ReLU when <paramref name="relu"/>) as the next layers read it:
    /// tapped when calibrating, quantized and dequantized when quantizing.
    /// </summary>
    public string Activation(OnnxGraph graph, string x, string key, bool relu)
    {
        if (_ranges is null)
        {
            if (relu) x = graph.Add("Relu", [x]);
            graph.Add("Identity", [x], TapName(key));
            Taps.Add(key);
            return x;
        }
        if (!_ranges.TryGetValue(key, out var range)) throw new InvalidOperationException($"no calibrated range for activation {key}");
        if (relu) range = range with { Lo = 0 };
        var (scale, zero) = range.Uint8();
        string s = graph.Scalar(scale);
        string z = graph.Raw($"{key}.zero_point", [], UInt8, [zero]);
        string q = graph.Add("QuantizeLinear", [x, s, z], $"{key}.quantized");
        string dq = graph.Add("DequantizeLinear", [q, s, z], $"{key}.dequantized");
        _activationScales[dq] = scale;
        if (_exposeTaps)
        {
            graph.Add("Identity", [dq], TapName(key));
            Taps.Add(key);
        }
        return dq;
    }

    /// <summary>
    /// A weight whose first dimension is its output channels: float when calibrating or when <paramref name="quantize"/>
    /// is false, else int8 per output channel behind a DequantizeLinear; the scales are returned for the bias.
    /// </summary>
    public string Weight(OnnxGraph graph, string name, long[] dims, float[] values, bool quantize, out float[]? scales)
    {
        scales = null;
        if (_ranges is null || !quantize) return graph.Weight(name, dims, values);
        var (q, s) = QuantizePerChannel(values, (int)dims[0]);
        scales = s;
        string weight = graph.Raw($"{name}.int8", dims, Int8, (byte[])(Array)q);
        string scale = graph.Weight($"{name}.scale", [dims[0]], s);
        return graph.Add("DequantizeLinear", [weight, scale], $"{name}.dequantized", IntAttribute("axis", 0));
    }

    /// <summary>
    /// A convolution's bias: int32 at scale (scale of <paramref name="input"/>) x (weight scale) behind a
    /// DequantizeLinear when both are quantized, float otherwise.
    /// </summary>
    public string Bias(OnnxGraph graph, string name, float[] bias, string input, float[]? weightScales)
    {
        if (_ranges is null || weightScales is null || !_activationScales.TryGetValue(input, out float inputScale))
            return graph.Weight(name, [bias.Length], bias);
        var scales = weightScales.Select(w => inputScale * w).ToArray();
        var q = new int[bias.Length];
        for (int c = 0; c < bias.Length; c++)
            q[c] = (int)Math.Clamp(Math.Round(bias[c] / (double)scales[c]), int.MinValue, int.MaxValue);
        string values = graph.Raw($"{name}.int32", [bias.Length], OnnxProto.Int32, MemoryMarshal.AsBytes(q.AsSpan()).ToArray());
        string scale = graph.Weight($"{name}.scale", [bias.Length], scales);
        return graph.Add("DequantizeLinear", [values, scale], $"{name}.dequantized", IntAttribute("axis", 0));
    }

    /// <summary>
    /// Symmetric int8 per output channel: channel c (the c-th of <paramref name="channels"/> equal slices) gets scale
    /// max|w| / 127 and q = round(w / scale); an all-zero channel gets scale 1.
    /// </summary>
    public static (sbyte[] Values, float[] Scales) QuantizePerChannel(float[] values, int channels)
    {
        int per = values.Length / channels;
        var q = new sbyte[values.Length];
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            var slice = values.AsSpan(c * per, per);
            float max = 0;
            foreach (float v in slice) max = Math.Max(max, Math.Abs(v));
            float scale = max > 0 ? max / WeightLevels : 1f;
            scales[c] = scale;
            for (int i = 0; i < per; i++)
                q[c * per + i] = (sbyte)Math.Clamp(MathF.Round(slice[i] / scale), -WeightLevels, WeightLevels);
        }
        return (q, scales);
    }
}
