using System.IO.Compression;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// Opening and reading data files so that every failure becomes an <see cref="InvalidInputException"/>
/// naming the file, instead of an IOException from deep inside a reader.
/// </summary>
internal static class DataFile
{
    /// <summary>Opens a file for reading, transparently decompressing it when it starts with the gzip magic.</summary>
    public static Stream Open(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new InvalidInputException($"{path}: file not found");
        var file = InputFile.OpenRead(path, "data file");
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        // Decide by content, not by name: a renamed .gz still opens, an uncompressed file named .gz too.
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Fills <paramref name="buffer"/>; a short read means the file ends early.</summary>
    public static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        int got;
        try { got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e) { throw new InvalidInputException($"{path}: corrupt gzip data ({e.Message})"); }
        if (got < buffer.Length)
            throw new InvalidInputException($"{path}: truncated: the file ends {buffer.Length - got} bytes short of {what}");
    }

    /// <summary>Whether the stream has any byte left (used to reject files longer than their header says).</summary>
    public static bool HasMore(Stream stream, string path)
    {
        try { return stream.ReadByte() >= 0; }
        catch (InvalidDataException e) { throw new InvalidInputException($"{path}: corrupt gzip data ({e.Message})"); }
    }

    /// <summary>The whole (uncompressed) content of a file, at most <paramref name="maxBytes"/> (a gzip bomb stops there).</summary>
    public static byte[] ReadAll(string path, long maxBytes, string what)
    {
        using var stream = Open(path);
        try
        {
            return InputFile.ReadBounded(stream, maxBytes,
                () => new InvalidInputException($"{path}: holds more than {InputFile.Bytes(maxBytes)}; a {what} needs at most that"));
        }
        catch (InvalidDataException e) { throw new InvalidInputException($"{path}: corrupt gzip data ({e.Message})"); }
    }

    /// <summary>The non-blank lines of a text file, trimmed (class-name lists).</summary>
    public static string[] ReadNames(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: file not found");
        var names = InputFile.ReadLines(path, InputFile.LargeText, "class-name list");
        if (names.Length == 0) throw new InvalidInputException($"{path}: holds no class names");
        return names;
    }
}
