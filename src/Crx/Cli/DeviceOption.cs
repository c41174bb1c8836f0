using System.CommandLine;
using CodedResNeXt;
using TorchSharp;
using static TorchSharp.torch;

namespace Crx.Cli;

/// <summary>
/// `--device auto|cpu|cuda[:i]`, shared by the verbs that run a network; each verb names the device in its first line.
/// Which native backend is present is the build's choice (its TorchBackend); the flag only asks TorchSharp.
/// </summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the network runs: auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>
    /// The device <paramref name="spec"/> names (case and spaces forgiven): "auto" (CUDA when TorchSharp reports it
    /// available, else the CPU), "cpu", "cuda" or "cuda:i". An error naming --device when CUDA is asked for and not
    /// available, the index is out of range, or the text is not a device.
    /// </summary>
    public static Device Resolve(string spec)
    {
        string text = spec.Trim().ToLowerInvariant();
        if (text is "auto") return cuda.is_available() ? CUDA : CPU;
        if (text is "cpu") return CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidInputException($"--device: '{spec}': CUDA is not available here (a CPU build of libtorch, or no GPU); use cpu or auto");
            if (text == "cuda") return CUDA;
            if (!int.TryParse(text[5..], out int index) || index < 0 || index >= cuda.device_count())
                throw new InvalidInputException($"--device: '{spec}': there are CUDA devices 0..{cuda.device_count() - 1}");
            return new Device(DeviceType.CUDA, index);
        }
        throw new InvalidInputException($"--device: '{spec}' is not a device; expected auto, cpu, cuda or cuda:N");
    }
}
