using System.CommandLine;
using CodedResNeXt.Model;

namespace Crx.Cli;

/// <summary>`--device auto|cpu|cuda[:i]`, shared by the verbs that run a network (resolved by <see cref="ComputeDevice"/>); each verb names the device in its first line.</summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the network runs: auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
    };
}
