using System.CommandLine;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace Crx.Cli;

/// <summary>`--device auto|cpu|cuda[:i]`, shared by the verbs that run a network; the choice is printed at start.</summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the network runs: auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The device asked for; each verb names it in the first line it prints (not in JSON output).</summary>
    public static Device Resolve(string spec) => ComputeDevice.Resolve(spec);
}
