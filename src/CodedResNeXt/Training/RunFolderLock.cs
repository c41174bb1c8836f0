namespace CodedResNeXt.Training;

/// <summary>
/// A run folder belongs to one training at a time: two trainings (or a training and a --resume) writing one folder
/// would interleave metrics.jsonl and leave last.ckpt from one run beside best.ckpt from the other. The owner holds
/// an OS lock on <see cref="FileName"/> (a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>, which
/// .NET maps to flock on Unix); the kernel releases it when the process ends in any way, so a killed run leaves
/// nothing stuck. Beside it <see cref="OwnerFileName"/> names the owner's process id for the error a second process
/// gets (the locked file itself cannot be read by another process).
/// <para>
/// Within one process the OS lock is the process's, so the owner is tracked here: the logical flow of work that took
/// the folder (an <see cref="AsyncLocal{T}"/> token, which follows it into the tasks it starts) may take it again
/// (the CLI takes it before it writes config.json, the trainer when it starts), and another flow, a second training
/// on another thread, is refused as one in another process is.
/// </para>
/// </summary>
internal sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file in a run folder, held open (FileShare.None) by the process that owns the folder.</summary>
    public const string FileName = "run.lock";
    /// <summary>Beside it, the owner's process id, for the message a second process gets.</summary>
    public const string OwnerFileName = "run.lock.pid";

    private sealed class Hold(FileStream stream, object owner)
    {
        public FileStream Stream { get; } = stream;
        public object Owner { get; } = owner;
        public int Count { get; set; } = 1;
    }

    private static readonly Dictionary<string, Hold> Held = [];
    // The flow of work this thread is part of, made when it first takes a folder; the tasks and threads it starts share it.
    private static readonly AsyncLocal<object?> Flow = new();
    private readonly string _key;
    private bool _disposed;

    private RunFolderLock(string key) => _key = key;

    /// <summary>
    /// Takes the folder (creating it when needed) or throws <see cref="RunFolderInUseException"/> when another process,
    /// or another flow of work in this one, holds it. The flow that holds it may take it again. Dispose to release.
    /// </summary>
    public static RunFolderLock Acquire(string folder)
    {
        string key = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var owner = Flow.Value ??= new object();
        lock (Held)
        {
            if (Held.TryGetValue(key, out var held))
            {
                if (held.Owner != owner) throw new RunFolderInUseException(folder, Environment.ProcessId, thisProcess: true);
                held.Count++;
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
            Held[key] = new Hold(stream, owner);
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
            if (--held.Count > 0) return;
            Held.Remove(_key);
            held.Stream.Dispose();
        }
    }
}

/// <summary>
/// The run folder is held by another process, or by another training in this one (<see cref="RunFolderLock"/>); not bad
/// input: it may succeed later.
/// </summary>
public sealed class RunFolderInUseException(string folder, int? processId, bool thisProcess = false)
    : Exception($"{folder}: the run folder is in use by " +
                (thisProcess ? "another training in this process" : processId is { } pid ? $"process {pid}" : "another process") +
                "; wait for it to finish or stop it, or choose another folder")
{
    /// <summary>The run folder asked for.</summary>
    public string Folder { get; } = folder;
    /// <summary>The process that holds the folder, when it could be read (this one's when <see cref="ThisProcess"/>).</summary>
    public int? ProcessId { get; } = processId;
    /// <summary>Whether another training of this process holds it.</summary>
    public bool ThisProcess { get; } = thisProcess;
}
