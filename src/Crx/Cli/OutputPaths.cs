using CodedResNeXt;

namespace Crx.Cli;

/// <summary>
/// Checks an output location before any work starts, so a typo in --out costs a second, not an epoch or an
/// analysis. Writing a probe file is the only reliable test: permissions, read-only mounts and /proc all differ.
/// </summary>
internal static class OutputPaths
{
    /// <summary>A folder that exists afterwards (created when missing) and accepts new files.</summary>
    public static void RequireWritableFolder(string path, string flag)
    {
        if (File.Exists(path)) throw new InvalidInputException($"{flag}: {path} is a file; give a folder");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        { throw new InvalidInputException($"{flag}: cannot create the folder {path} ({FirstLine(e)})"); }
        Probe(path, flag, path);
    }

    /// <summary>A file that can be created or replaced (its folder is created when missing).</summary>
    public static void RequireWritableFile(string path, string flag)
    {
        if (Directory.Exists(path)) throw new InvalidInputException($"{flag}: {path} is a folder; give a file name");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (File.Exists(folder)) throw new InvalidInputException($"{flag}: cannot write {path}: {folder} is a file, not a folder");
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        { throw new InvalidInputException($"{flag}: cannot create the folder of {path} ({FirstLine(e)})"); }
        Probe(folder, flag, path);
    }

    private static void Probe(string folder, string flag, string named)
    {
        string probe = Path.Combine(folder, $".crx-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InvalidInputException($"{flag}: cannot write to {named} ({FirstLine(e)})"); }
    }

    private static string FirstLine(Exception e) => e.Message.Split('\n')[0].Trim().TrimEnd('.');
}
