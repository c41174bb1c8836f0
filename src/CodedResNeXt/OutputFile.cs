using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace CodedResNeXt;

/// <summary>
/// The one way this program writes a file (checkpoints, classifiers, exports, reports and figures, configs, metrics,
/// schemes), used by the library, the lab and the CLI:
/// <list type="bullet">
/// <item>atomic: the bytes go to a file without a name (Linux's O_TMPFILE) in the target's folder, or where that is not
/// available a temporary file with a unique name there, flushed to disk, then given the target's name in one step. A
/// reader, or a kill at any moment, sees the old file whole or the new one whole, never a part;</item>
/// <item>never through a symbolic link it did not make: giving the name replaces a link at the target itself (rename
/// does not follow it), temporary files are created exclusively (a link planted under their name fails the
/// create), and a folder the program makes inside an output folder (<see cref="Subfolder"/>) is refused when a link
/// stands there;</item>
/// <item>exclusive where the target must not be overwritten (<see cref="WriteNew"/>): the name is given with link(2),
/// which fails when the target exists, so of two runs writing one path exactly one succeeds;</item>
/// <item>temporaries cleaned up: a nameless file vanishes with the process however it ends; a named one is removed
/// on failure, and one a killed process left (its process id is in its name) is removed by the next write to that
/// folder.</item>
/// </list>
/// Failures of the machine (disk full, read-only file system) are an <see cref="IOException"/> naming the target,
/// which is left as it was.
/// </summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, replacing the file atomically.</summary>
    public static void Write(string path, Action<Stream> write) => Commit(path, write, replace: true, exists: null);

    /// <summary>Writes a file that must not exist yet; <paramref name="exists"/> makes the error when it does (checked atomically, at the end).</summary>
    public static void WriteNew(string path, Action<Stream> write, Func<Exception> exists) => Commit(path, write, replace: false, exists);

    /// <summary>Writes <paramref name="text"/> as UTF-8, replacing the file atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes <paramref name="bytes"/>, replacing the file atomically.</summary>
    public static void WriteBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Copies a file atomically (best.ckpt from last.ckpt): a reader sees the old copy or the new one, never a part.</summary>
    public static void Copy(string source, string destination) =>
        Write(destination, stream =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(stream);
        });

    /// <summary>
    /// The folder <paramref name="name"/> inside <paramref name="parent"/> (a report's figures/, a run's tensorboard/),
    /// created when missing. A symbolic link standing there was not made by this program, and writing into it would
    /// write wherever it points: it is refused.
    /// </summary>
    public static string Subfolder(string parent, string name)
    {
        string path = Path.Combine(parent, name);
        if (new FileInfo(path).LinkTarget is not null)
            throw InvalidInputException.ForFile(path, "is a symbolic link; crx writes into the folders it makes, never through a link it did not make");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Whether a new file can be made in <paramref name="folder"/>, by making one (permissions, read-only mounts and
    /// /proc all differ, so trying is the only reliable test): nameless where the system allows, so that a kill leaves
    /// nothing; the system's error (<see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>) when not.
    /// </summary>
    public static void Probe(string folder)
    {
        var (stream, _) = Open(folder, ".crx-write-test", out string? named);
        stream.Dispose();
        if (named is not null) File.Delete(named);
    }

    private static void Commit(string path, Action<Stream> write, bool replace, Func<Exception>? exists)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        // Said about the path the caller gave, not a temporary file beside it; a shell's ~ never reaches a program expanded.
        if (!Directory.Exists(folder))
            throw InvalidInputException.ForFile(path, $"its folder {folder} does not exist" +
                (path.StartsWith('~') ? " (~ is expanded by a shell, not here: give the full path)" : ""));
        RemoveStale(folder);
        if (!replace && (File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null)) throw exists!();
        string? named = null;
        try
        {
            var (stream, nameless) = Open(folder, name, out named);
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
                if (nameless)
                {
                    // Give the nameless file a name: the target itself when it must be new, else a temporary to rename.
                    string link = replace ? TemporaryName(folder, name) : full;
                    if (!LinkNameless(stream, link))
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (!replace && errno == EExist) throw exists!();
                        throw new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} : '{link}'");
                    }
                    named = replace ? link : null;
                }
            }
            if (named is null) return;
            if (replace) File.Move(named, full, overwrite: true); // rename(2): atomic, and replaces a link rather than following it
            else LinkNew(named, full, exists!);
            named = null;
        }
        catch (Exception e)
        {
            if (named is not null)
            {
                try { File.Delete(named); }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { } // the write's error says more
            }
            // Disk full, a read-only file system, an I/O error: say which file could not be written (the message
            // of the system names the temporary file); the old file is untouched.
            if (e is IOException and not (FileNotFoundException or DirectoryNotFoundException) || e is UnauthorizedAccessException)
                throw new IOException($"{path}: cannot write: {Reason(e)}; the previous file is untouched", e);
            throw;
        }
    }

    /// <summary>A stream to write the new file into: nameless when the system allows it, else a fresh temporary file (named).</summary>
    private static (FileStream Stream, bool Nameless) Open(string folder, string name, out string? named)
    {
        if (OTmpFile is { } flags && Directory.Exists("/proc/self/fd"))
        {
            int fd = open(folder, flags | OWrOnly | OCloExec, Convert.ToInt32("644", 8));
            if (fd >= 0)
            {
                named = null;
                return (new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1 << 16), true);
            }
            // EOPNOTSUPP, EISDIR, EINVAL: this file system has no nameless files; the named way works everywhere.
        }
        named = TemporaryName(folder, name);
        // CreateNew is O_CREAT|O_EXCL: it fails on a link planted under the name instead of following it.
        return (new FileStream(named, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), false);
    }

    /// <summary>
    /// Gives the temporary file <paramref name="named"/> the name <paramref name="full"/> only if that name is free, and
    /// removes the temporary name: link(2) fails when the target exists, so no other writer slips in between a check
    /// and the rename. Where hard links are not available, .NET's move without overwrite does the same less strictly.
    /// </summary>
    private static void LinkNew(string named, string full, Func<Exception> exists)
    {
        if (OperatingSystem.IsLinux())
        {
            if (link(named, full) == 0)
            {
                File.Delete(named);
                return;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EExist) throw exists();
            if (errno is not (EPerm or EOpNotSupp)) throw new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} : '{full}'");
        }
        try { File.Move(named, full, overwrite: false); }
        catch (IOException) when (File.Exists(full) || Directory.Exists(full)) { throw exists(); }
    }

    private static bool LinkNameless(FileStream stream, string target) =>
        linkat(AtFdCwd, $"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}", AtFdCwd, target, AtSymlinkFollow) == 0;

    /// <summary>A temporary name for <paramref name="name"/> in <paramref name="folder"/>, hidden, unique, and holding this process's id (see <see cref="RemoveStale"/>).</summary>
    internal static string TemporaryName(string folder, string name) =>
        Path.Combine(folder, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static readonly Regex Temporary = new(@"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$");

    /// <summary>
    /// Removes the temporary files (and folders: a download's staging) of <see cref="TemporaryName"/> in
    /// <paramref name="folder"/> whose process is gone (killed between creating and renaming one).
    /// </summary>
    internal static void RemoveStale(string folder)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(folder)) return;
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder, ".*.tmp"))
                if (Temporary.Match(Path.GetFileName(entry)) is { Success: true } m && int.TryParse(m.Groups[1].Value, out int pid)
                    && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a leftover costs space, not correctness
    }

    // The system's words for a failed write, without the path of the temporary file it names.
    private static string Reason(Exception e)
    {
        string message = e.Message.Split('\n')[0].Trim();
        int at = message.IndexOf(" : '", StringComparison.Ordinal);
        return (at > 0 ? message[..at] : message).TrimEnd('.', ' ');
    }

    // ---- Linux ----

    private const int EPerm = 1, EExist = 17, EOpNotSupp = 95, AtFdCwd = -100, AtSymlinkFollow = 0x400, OWrOnly = 1, OCloExec = 0x80000;

    /// <summary>O_TMPFILE (with O_DIRECTORY) where its value is known, else null: x86-64 and ARM64 Linux differ in O_DIRECTORY.</summary>
    private static readonly int? OTmpFile = !OperatingSystem.IsLinux() ? null : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x400000 | 0x10000,
        Architecture.Arm64 => 0x400000 | 0x4000,
        _ => null,
    };

    // DllImport rather than LibraryImport, which would need unsafe code for these blittable calls.
#pragma warning disable SYSLIB1054
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int linkat(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
#pragma warning restore SYSLIB1054
}
