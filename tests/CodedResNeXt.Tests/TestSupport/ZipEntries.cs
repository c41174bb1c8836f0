using System.IO.Compression;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>Reads and rewrites single entries of a model zip (checkpoint, extracted classifier), to damage it on purpose.</summary>
public static class ZipEntries
{
    public static byte[] Read(string zipPath, string entry)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        using var stream = zip.GetEntry(entry)!.Open();
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Writes a copy of <paramref name="zipPath"/> to <paramref name="target"/> with one entry's bytes replaced.</summary>
    public static void Replace(string zipPath, string target, string entry, byte[] content)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var zip = ZipFile.OpenRead(zipPath))
            foreach (var e in zip.Entries)
                entries.Add((e.FullName, e.FullName == entry ? content : Read(zipPath, e.FullName)));
        using var output = ZipFile.Open(target, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = output.CreateEntry(name, CompressionLevel.Fastest).Open();
            stream.Write(bytes);
        }
    }
}
