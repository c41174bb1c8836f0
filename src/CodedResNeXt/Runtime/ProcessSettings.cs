using System.Runtime.InteropServices;
using TorchSharp;

namespace CodedResNeXt.Runtime;

/// <summary>
/// How a process computes on the CPU: libtorch's thread count, and glibc's policy for the large blocks libtorch
/// allocates for activations and gradients.
/// </summary>
/// <remarks>
/// libtorch's CPU allocator has no cache: every tensor is a malloc and every disposal a free. By default glibc serves
/// blocks above a threshold that adapts between 128 kB and 32 MB with a fresh mmap, unmaps them when freed, and
/// returns freed heap above 128 kB to the kernel; so every training step page-faulted most of its activations in
/// anew, and a third of the step was kernel time. Fixing the threshold at its largest value (32 MB) and never
/// trimming the heap lets the steps reuse their memory (about 1.3-1.4x faster on the machine this was measured on,
/// docs/performance.md). Serving even the blocks above 32 MB from the heap was faster still, but fragmented it:
/// resident memory swung up to twice the default's and a benchmark run was killed at 24 GB.
/// </remarks>
public static class ProcessSettings
{
    private const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
    private const int LargestMmapThreshold = 32 << 20; // glibc refuses more on 64-bit
    private static int _heapPolicyApplied;

    /// <summary>Set this environment variable to 1 to keep glibc's default policy (less resident memory, slower steps).</summary>
    public const string OptOut = "CRX_RELEASE_FREED_MEMORY";

    /// <summary>
    /// The most CPU threads a run may ask for: four per core of this machine. More only makes libtorch's threads
    /// contend (at 1000 threads a step took minutes and the process answered SIGTERM minutes late; at 10000 libtorch
    /// crashed natively), while a few per core still leaves room for cores hidden from
    /// <see cref="Environment.ProcessorCount"/> by a container's CPU quota.
    /// </summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>Refuses a thread count outside 1..<see cref="MaxThreads"/>, as an error about <paramref name="option"/>.</summary>
    public static void RequireThreads(int threads, string option = "Threads")
    {
        if (threads < 1) throw InvalidInputException.ForOption(option, $"{threads} must be at least 1");
        if (threads > MaxThreads)
            throw InvalidInputException.ForOption(option, $"{threads} is more than {MaxThreads} (4 per core of the {Environment.ProcessorCount} cores here)");
    }

    /// <summary>Sets libtorch's intra-op thread count and (once per process, on glibc) keeps freed tensor memory for reuse.</summary>
    public static void Apply(int threads)
    {
        RequireThreads(threads);
        torch.set_num_threads(threads);
        KeepFreedMemory();
    }

    /// <summary>
    /// Asks glibc to serve blocks up to 32 MB from its heap instead of mmap and not to return freed heap to the kernel.
    /// True when glibc took both settings (now or earlier in the process); false elsewhere (other C libraries, Windows, macOS).
    /// </summary>
    public static bool KeepFreedMemory()
    {
        if (Volatile.Read(ref _heapPolicyApplied) == 1) return true;
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(OptOut) == "1") return false;
        try
        {
            bool applied = mallopt(M_MMAP_THRESHOLD, LargestMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
            if (applied) Volatile.Write(ref _heapPolicyApplied, 1);
            return applied;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return false; }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
