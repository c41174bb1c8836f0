using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>Image files made to attack a decoder.</summary>
public static class HostileImages
{
    /// <summary>A PNG whose header declares <paramref name="side"/> x <paramref name="side"/> RGB pixels, with one row of data.</summary>
    public static byte[] DeclaredPng(int side)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), side);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(png, "IHDR", ihdr);
        var rows = new MemoryStream();
        using (var z = new ZLibStream(rows, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[1 + 3 * side]);
        Chunk(png, "IDAT", rows.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(typed));
        png.Write(crc);
    }

}
