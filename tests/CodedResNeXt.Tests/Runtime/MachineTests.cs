using CodedResNeXt.Runtime;

namespace CodedResNeXt.Tests.Runtime;

/// <summary>The one-line description of the CPU that a recorded result carries.</summary>
public class MachineTests
{
    [Fact]
    public void The_description_names_the_cpu_count_and_exactly_the_kernel_instruction_sets_the_cpu_lists()
    {
        string described = Machine.Describe();
        Assert.Contains($", {Environment.ProcessorCount} CPUs, ", described);
        if (Machine.CpuFlags is not { } flags) { Assert.EndsWith("instruction sets unknown", described); return; }
        // Read independently of Machine: the flags line of /proc/cpuinfo.
        var listed = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags")).Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(listed.ToHashSet(), flags.ToHashSet());
        string isa = described[(described.LastIndexOf(" CPUs, ", StringComparison.Ordinal) + 7)..];
        foreach (string set in new[] { "avx2", "avx512f", "avx512_bf16", "amx_bf16" })
            Assert.Equal(listed.Contains(set), isa.Split(' ').Contains(set));
        Assert.Equal(Autocast.HasNativeBFloat16(TorchSharp.torch.CPU), listed.Contains("avx512_bf16") || listed.Contains("amx_bf16"));
    }
}
