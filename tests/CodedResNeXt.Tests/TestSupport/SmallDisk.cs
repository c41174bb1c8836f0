using System.Diagnostics;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// A small tmpfs mounted for one test (root only): a disk that fills up, or turns read-only, on demand, so that the
/// CLI meets ENOSPC and EROFS from the real file system rather than from a simulation.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            using var probe = new SmallDisk(1 << 20);
            return null;
        }
        catch (Exception e) { return $"cannot mount a tmpfs here ({e.Message}); these tests need root and mount(8)"; }
    });

    /// <summary>Why a small disk cannot be mounted here, or null when it can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public SmallDisk(long bytes)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"crx-disk-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        try { Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", Path); }
        catch
        {
            Directory.Delete(Path);
            throw;
        }
    }

    public string Path { get; }

    /// <summary>Fills the disk with one file until the system says no space is left, then frees <paramref name="leave"/> bytes of it.</summary>
    public void Fill(long leave)
    {
        string filler = System.IO.Path.Combine(Path, "filler");
        var chunk = new byte[1 << 16];
        using (var stream = new FileStream(filler, FileMode.Create, FileAccess.Write))
        {
            try
            {
                while (true) { stream.Write(chunk); stream.Flush(); }
            }
            catch (IOException) { } // ENOSPC: full
        }
        using var shrink = new FileStream(filler, FileMode.Open, FileAccess.Write);
        shrink.SetLength(Math.Max(0, shrink.Length - leave));
    }

    public void MakeReadOnly() => Run("mount", "-o", "remount,ro", Path);

    private static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)}: {error.Trim()}");
    }

    public void Dispose()
    {
        try { Run("umount", Path); Directory.Delete(Path); }
        catch (InvalidOperationException) { } // best effort: a later umount -l cleans up
    }
}

/// <summary>A fact that needs <see cref="SmallDisk"/>: skipped, with the reason, where no tmpfs can be mounted.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.WhyUnavailable is { } why) Skip = why;
    }
}
