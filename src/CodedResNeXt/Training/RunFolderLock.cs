namespace CodedResNeXt.Training;

/// <summary>
/// A run folder belongs to one process at a time: two trainings (or a training and a --resume) writing one folder
/// would interleave metrics.jsonl and leave last.ckpt from one run beside best.ckpt from the other. The owner holds
/// an OS lock on <see cref="FileName"/> (a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>, which
/// .NET maps to flock on Unix); the kernel releases it when the process ends in any way, so a killed run leaves
/// nothing stuck. Beside it <see cref="OwnerFileName"/> names the owner's process id for the error a second process
/// gets (the locked file itself cannot be read by another process). Re-entrant within one process.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file in a run folder, held open (FileShare.None) by the process that owns the folder.</summary>
    public const string FileName = "run.lock";
    /// <summary>Beside it, the owner's process id, for the message a second process gets.</summary>
    public const string OwnerFileName = "run.lock.pid";

    private static readonly Dictionary<string, (FileStream Stream, int Count)> Held = [];
    private readonly string _key;
    private bool _disposed;

    private RunFolderLock(string key) => _key = key;

    /// <summary>
    /// Takes the folder (creating it when needed) or throws <see cref="RunFolderInUseException"/> when another
    /// process holds it. Dispose to release.
    /// </summary>
    public static RunFolderLock Acquire(string folder)
    {
        string key = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        lock (Held)
        {
            if (Held.TryGetValue(key, out var held))
            {
                Held[key] = (held.Stream, held.Count + 1);
                return new RunFolderLock(key);
            }
            Directory.CreateDirectory(key);
            FileStream stream;
            try { stream = new FileStream(Path.Combine(key, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
                                         && HeldElsewhere(Path.Combine(key, FileName)))
            {
                throw new RunFolderInUseException(folder, Owner(key));
            }
            try { OutputFile.WriteText(Path.Combine(key, OwnerFileName), $"{Environment.ProcessId}\n"); }
            catch
            {
                stream.Dispose();
                throw;
            }
            Held[key] = (stream, 1);
            return new RunFolderLock(key);
        }
    }

    // Whether the lock file exists and even a shared open of it is refused: another process holds it. A failure of
    // the exclusive open for another reason (a read-only file system) lets the shared read-only open succeed, and
    // the original error stands.
    private static bool HeldElsewhere(string lockFile)
    {
        if (!File.Exists(lockFile)) return false;
        try
        {
            using (new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) return false;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static int? Owner(string key)
    {
        try { return int.TryParse(File.ReadAllText(Path.Combine(key, OwnerFileName)).Trim(), out int pid) ? pid : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Releases the folder (the last release of a re-entrant hold closes the lock file).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (Held)
        {
            var held = Held[_key];
            if (held.Count > 1)
            {
                Held[_key] = (held.Stream, held.Count - 1);
                return;
            }
            Held.Remove(_key);
            held.Stream.Dispose();
        }
    }
}

/// <summary>The run folder is held by another process (<see cref="RunFolderLock"/>); not bad input: it may succeed later.</summary>
public sealed class RunFolderInUseException(string folder, int? processId)
    : Exception($"{folder}: the run folder is in use by {(processId is { } pid ? $"process {pid}" : "another process")}; " +
                "wait for it to finish or stop it, or choose another folder")
{
    /// <summary>The run folder asked for.</summary>
    public string Folder { get; } = folder;
    /// <summary>The process that holds the folder, when it could be read.</summary>
    public int? ProcessId { get; } = processId;
}
