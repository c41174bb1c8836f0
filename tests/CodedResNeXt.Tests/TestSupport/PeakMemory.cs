namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// The process's peak resident set (VmHWM), which Linux resets when "5" is written to /proc/self/clear_refs: what a
/// piece of work took at most, native memory (libtorch's, ONNX Runtime's) included. Meaningful only while nothing else
/// runs in the process: tests that use it are in a collection that runs alone.
/// </summary>
public static class PeakMemory
{
    /// <summary>Runs <paramref name="work"/> and returns how far the peak resident set rose above the resident set before it, in bytes.</summary>
    public static long Above(Action work)
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        long before = Field("VmRSS:");
        work();
        return Field("VmHWM:") - before;
    }

    private static long Field(string name) =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => long.Parse(l[name.Length..].Trim().Split(' ')[0]) * 1024).Single();
}
