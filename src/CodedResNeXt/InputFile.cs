using System.Runtime.InteropServices;
using System.Text;

namespace CodedResNeXt;

/// <summary>
/// Reading a file that comes from outside (an architecture, a recipe, a coding scheme, a class list, a model file,
/// an image): it must be a regular file, since a FIFO blocks the reader forever and <c>/dev/zero</c> never ends, and
/// what is read of it is bounded by what its format can need, so a small or endless file cannot make the program
/// allocate without limit. Every reader of the library goes through here; each error is one
/// <see cref="InvalidInputException"/> naming the file.
/// </summary>
internal static class InputFile
{
    /// <summary>1 MiB: a text file of flags or an architecture (thousands of blocks fit in a few hundred KB).</summary>
    public const long SmallText = 1L << 20;

    /// <summary>
    /// 64 MiB: text that grows with the number of classes (coding schemes, class lists, a model file's meta.json):
    /// 10^5 classes with 64-digit codewords and long names and a stored calibration stay well below it.
    /// </summary>
    public const long LargeText = 64L << 20;

    /// <summary>
    /// Refuses what is not a regular file (a folder, a FIFO, a character or block device, a socket) and a missing
    /// path. Symbolic links are followed: a link to a regular file is one.
    /// </summary>
    /// <param name="path">the path to check</param>
    /// <param name="what">what the file should be ("architecture file"), for the message</param>
    public static void RequireRegular(string path, string what)
    {
        if (Directory.Exists(path)) throw InvalidInputException.ForFile(path, $"is a folder, not a{An(what)} {what}");
        if (!File.Exists(path)) throw InvalidInputException.ForFile(path, "does not exist");
        if (KindOf(path) is { } kind) throw InvalidInputException.ForFile(path, $"is {kind}, not a regular file; give a{An(what)} {what}");
    }

    /// <summary>
    /// Opens a regular file for reading (<see cref="RequireRegular"/> first: a FIFO would block the open itself); a
    /// failure to open is an <see cref="InvalidInputException"/> naming the file. The caller disposes the stream.
    /// </summary>
    /// <param name="path">the file</param>
    /// <param name="what">what the file should be ("safetensors file"), for the message</param>
    public static FileStream OpenRead(string path, string what)
    {
        RequireRegular(path, what);
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw InvalidInputException.ForFile(path, $"cannot be read ({e.Message})"); }
    }

    /// <summary>
    /// The whole file, at most <paramref name="maxBytes"/> bytes (checked before and while reading, since a file
    /// can grow and some report size 0); a longer file is refused.
    /// </summary>
    public static byte[] ReadBytes(string path, long maxBytes, string what)
    {
        using var stream = OpenRead(path, what);
        if (stream.Length > maxBytes) throw TooLarge(path, stream.Length, maxBytes, what);
        return ReadBounded(stream, maxBytes, () => TooLarge(path, null, maxBytes, what));
    }

    /// <summary>The whole file as UTF-8 text (a byte-order mark is skipped), at most <paramref name="maxBytes"/> bytes.</summary>
    public static string ReadText(string path, long maxBytes, string what)
    {
        var bytes = ReadBytes(path, maxBytes, what);
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[Encoding.UTF8.Preamble.Length..];
        return Encoding.UTF8.GetString(span);
    }

    /// <summary>The non-blank lines of a text file, trimmed.</summary>
    public static string[] ReadLines(string path, long maxBytes, string what) =>
        ReadText(path, maxBytes, what).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, but never more than <paramref name="maxBytes"/>: one byte more is
    /// <paramref name="tooLarge"/>'s exception (a zip entry that inflates beyond its limit, a file that grows).
    /// </summary>
    public static byte[] ReadBounded(Stream stream, long maxBytes, Func<Exception> tooLarge)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            total += n;
            if (total > maxBytes) throw tooLarge();
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>A byte count as people read it: 2.0 GB, 64 MiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} bytes",
    };

    private static InvalidInputException TooLarge(string path, long? size, long maxBytes, string what) =>
        InvalidInputException.ForFile(path, $"{(size is { } s ? Bytes(s) : "longer than " + Bytes(maxBytes))}; a{An(what)} {what} needs at most {Bytes(maxBytes)}");

    private static string An(string what) => what.Length > 0 && "aeiouAEIOU".Contains(what[0]) ? "n" : "";

    // What a path that exists and is no folder is, when it is no regular file: "a FIFO", "a character device"; null
    // for a regular file. statx(2) has one struct layout on every Linux architecture (stat(2) has not); elsewhere
    // (no statx) the path is taken for a regular file.
    private static string? KindOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null; // gone meanwhile: the open reports it
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return null; }
        int type = BitConverter.ToUInt16(buffer, 28) & 0xF000;
        return type switch
        {
            0x8000 => null,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 1;

    // DllImport rather than LibraryImport, which would need unsafe code for one blittable call.
#pragma warning disable SYSLIB1054
    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
#pragma warning restore SYSLIB1054
}
