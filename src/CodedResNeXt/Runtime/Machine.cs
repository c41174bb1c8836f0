namespace CodedResNeXt.Runtime;

/// <summary>
/// The CPU this process runs on, as far as it decides what libtorch computes: which vector instructions its kernels
/// may use. The same seed and thread count train to the same weights on CPUs with the same instructions; on CPUs with
/// others (AVX2 against AVX-512, say) oneDNN picks other kernels, which round differently.
/// </summary>
internal static class Machine
{
    private const string CpuInfo = "/proc/cpuinfo";

    // The instruction sets that change which kernels libtorch's CPU backends pick, in the order they are named.
    private static readonly string[] KernelFlags = ["avx2", "avx512f", "avx512_bf16", "amx_bf16"];

    private static readonly Lazy<(string Model, IReadOnlySet<string>? Flags)> Read = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(CpuInfo)) return ("unknown CPU", null);
        string model = "unknown CPU";
        IReadOnlySet<string>? flags = null;
        foreach (string line in File.ReadLines(CpuInfo))
        {
            string value = line[(line.IndexOf(':') + 1)..].Trim();
            if (line.StartsWith("model name", StringComparison.Ordinal)) model = value;
            else if (line.StartsWith("flags", StringComparison.Ordinal)) flags = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            if (flags is not null && model != "unknown CPU") break;
        }
        return (model, flags);
    });

    /// <summary>The CPU's feature flags (Linux's /proc/cpuinfo), or null where they cannot be read.</summary>
    public static IReadOnlySet<string>? CpuFlags => Read.Value.Flags;

    /// <summary>
    /// The CPU in one line: its model name, its logical CPUs and the kernel-relevant instruction sets it has, such as
    /// "AMD EPYC, 2 CPUs, avx2"; what a recorded result names as the machine it was computed on.
    /// </summary>
    public static string Describe()
    {
        var (model, flags) = Read.Value;
        string isa = flags is null ? "instruction sets unknown" : string.Join(" ", KernelFlags.Where(flags.Contains).DefaultIfEmpty("no avx2"));
        return $"{model}, {Environment.ProcessorCount} CPUs, {isa}";
    }
}
