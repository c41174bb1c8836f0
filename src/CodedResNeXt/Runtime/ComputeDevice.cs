using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Runtime;

/// <summary>
/// Where networks run: "auto" (CUDA when TorchSharp reports it available, else the CPU), "cpu", "cuda" or
/// "cuda:i". Which native backend is present is the application's choice (its build's TorchBackend); the
/// library only asks TorchSharp.
/// </summary>
public static class ComputeDevice
{
    /// <summary>The option that names the device, for errors.</summary>
    public const string Option = "Device";

    /// <summary>
    /// The device <paramref name="spec"/> names (case and spaces forgiven): "auto", "cpu", "cuda" or "cuda:i". An
    /// <see cref="InvalidInputException"/> about <see cref="Option"/> when CUDA is asked for and not available, the index
    /// is out of range, or the text is not a device.
    /// </summary>
    public static Device Resolve(string spec)
    {
        string text = spec.Trim().ToLowerInvariant();
        if (text is "auto") return cuda.is_available() ? CUDA : CPU;
        if (text is "cpu") return CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw InvalidInputException.ForOption(Option, $"'{spec}': CUDA is not available here (a CPU build of libtorch, or no GPU); use cpu or auto");
            if (text == "cuda") return CUDA;
            if (!int.TryParse(text[5..], out int index) || index < 0 || index >= cuda.device_count())
                throw InvalidInputException.ForOption(Option, $"'{spec}': there are CUDA devices 0..{cuda.device_count() - 1}");
            return new Device(DeviceType.CUDA, index);
        }
        throw InvalidInputException.ForOption(Option, $"'{spec}' is not a device; expected auto, cpu, cuda or cuda:N");
    }
}
