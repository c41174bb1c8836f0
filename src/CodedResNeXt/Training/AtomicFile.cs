namespace CodedResNeXt.Training;

/// <summary>
/// Replaces a file in one step: the content goes to a temporary file in the same folder (so the rename never
/// crosses file systems), which is renamed over the target. The temporary name is unique per write, so a
/// leftover of a killed process never blocks a later write, and it is deleted when the write fails.
/// </summary>
public static class AtomicFile
{
    /// <param name="write">writes the complete content to the path it is given</param>
    public static void Write(string path, Action<string> write)
    {
        string temp = TempPathFor(path);
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="target"/> atomically.</summary>
    public static void Copy(string source, string target) => Write(target, temp => File.Copy(source, temp));

    /// <summary>"last.ckpt" becomes ".last.ckpt.5f3c….tmp" beside it.</summary>
    public static string TempPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
