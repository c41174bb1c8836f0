using System.Runtime.InteropServices;

namespace CodedResNeXt.Benchmarking;

/// <summary>
/// The process's memory as Linux and glibc see it: resident set (VmRSS) and its peak (VmHWM) from /proc/self/status,
/// whose peak can be reset by writing "5" to /proc/self/clear_refs (Linux 4.0+), and the bytes glibc's malloc has handed
/// out (mallinfo2), which on CPU are mostly libtorch's tensors. Each figure is null where the platform lacks it.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Resident set now (VmRSS), in bytes; null without /proc/self/status.</summary>
    public static long? ResidentBytes() => StatusField("VmRSS:");

    /// <summary>Peak resident set since the process started or <see cref="TryResetPeak"/> last succeeded (VmHWM), in bytes; null without /proc/self/status.</summary>
    public static long? PeakResidentBytes() => StatusField("VmHWM:");

    /// <summary>
    /// Resets the peak resident set to the current one; false when the kernel does not allow it. glibc is asked first
    /// to hand freed heap back to the kernel (malloc_trim), so that what an earlier variant freed does not count
    /// towards the next one's peak.
    /// </summary>
    public static bool TryResetPeak()
    {
        try { if (OperatingSystem.IsLinux()) malloc_trim(0); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { }
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return false; }
    }

    /// <summary>Bytes in use in glibc's heap (arena and mmapped chunks); null off glibc.</summary>
    public static long? NativeHeapBytes()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var info = mallinfo2();
            return (long)(info.uordblks + info.hblkhd);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return null; }
    }

    private static long? StatusField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(name, StringComparison.Ordinal))
                    return long.Parse(line[name.Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();
}
