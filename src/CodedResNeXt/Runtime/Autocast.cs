using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Runtime;

/// <summary>
/// PyTorch's autocast, done explicitly: TorchSharp 0.107 binds no autocast, so the network's convolutions ask this
/// class which type to compute in. Inside <see cref="Enter"/> with <see cref="Precision.BFloat16"/> on the calling
/// thread, a convolution casts its input and its float32 weight to bfloat16 and returns bfloat16 (autograd casts the
/// weight's gradient back to float32); batch norm takes the bfloat16 activation with its float32 parameters and
/// statistics (libtorch accumulates them in float32); the energies and everything after the pooled features run in
/// float32. Outside a scope nothing is cast, so float32 is bit for bit what it was.
/// </summary>
internal static class Autocast
{
    [ThreadStatic] private static Precision _current;

    /// <summary>The precision forward passes on this thread compute in.</summary>
    public static Precision Current => _current;

    /// <summary>Makes forward passes on this thread compute in <paramref name="precision"/> until the returned scope is disposed (scopes nest).</summary>
    /// <param name="precision">the compute precision</param>
    public static IDisposable Enter(Precision precision)
    {
        var previous = _current;
        _current = precision;
        return new Scope(previous);
    }

    /// <summary>The option that names the precision, for errors.</summary>
    public const string Option = "Precision";

    /// <summary>
    /// Whether <paramref name="device"/> computes bfloat16 in hardware: any CUDA device, or a CPU whose flags (Linux's
    /// /proc/cpuinfo) list AVX512-BF16 or AMX. Elsewhere the flags cannot be read and the answer is true.
    /// </summary>
    /// <param name="device">where the network runs</param>
    public static bool HasNativeBFloat16(Device device)
    {
        if (device.type != DeviceType.CPU) return true;
        if (Machine.CpuFlags is not { } flags) return true;
        return flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");
    }

    /// <summary>
    /// An <see cref="InvalidInputException"/> about <see cref="Option"/> when <paramref name="precision"/> is bfloat16 and
    /// <paramref name="device"/> would only emulate it (slower than float32, which is what a user asking for it wants to avoid).
    /// </summary>
    /// <param name="precision">the precision asked for</param>
    /// <param name="device">where the network runs</param>
    public static void RequireSupport(Precision precision, Device device)
    {
        if (precision == Precision.BFloat16 && !HasNativeBFloat16(device))
            throw InvalidInputException.ForOption(Option,
                "bf16 needs a CUDA device or a CPU with AVX512-BF16 or AMX; this CPU has neither, so bfloat16 would be emulated and slower than fp32");
    }

    /// <summary>
    /// <paramref name="t"/> in the compute type of a convolution: bfloat16 inside a bfloat16 scope when it is float32,
    /// itself otherwise.
    /// </summary>
    internal static Tensor ForConvolution(Tensor t) =>
        _current == Precision.BFloat16 && t.dtype == ScalarType.Float32 ? t.to_type(ScalarType.BFloat16) : t;

    /// <summary><paramref name="t"/> as float32, for what precision matters in (energies, the classifier, the losses).</summary>
    internal static Tensor Full(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to_type(ScalarType.Float32);

    private sealed class Scope(Precision previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _current = previous;
        }
    }
}
