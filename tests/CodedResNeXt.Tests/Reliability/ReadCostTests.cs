using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31, readers beyond pickles and ONNX whose work grew faster than the file: a coding scheme whose declared
/// minimum distance was checked over every pair of its codewords, an image whose few bytes declare millions of
/// pixels; and a model file whose meaning depends on the zip reader (meta.json twice).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ReadCostTests(ReliabilityRun fixture)
{
    [Fact]
    public void A_scheme_file_of_many_classes_is_read_in_time_linear_in_its_size()
    {
        // 150,000 distinct codewords of 10 ones in 20 digits (3.5 MB): checking its declared min_hamming compared 10^10 pairs.
        var words = new List<string>();
        for (int bits = 0; words.Count < 150_000; bits++)
            if (System.Numerics.BitOperations.PopCount((uint)bits) == 10 && bits < 1 << 20)
                words.Add(Convert.ToString(bits, 2).PadLeft(20, '0'));
        string path = fixture.NewPath("big-scheme-") + ".json";
        File.WriteAllText(path, JsonSerializer.Serialize(new { name = "big", classes = words.Count, subnns = 20, active = 10, min_hamming = 2, codewords = words }));

        var clock = Stopwatch.StartNew();
        var scheme = CodingSchemeFile.Load(path);

        Assert.Equal(150_000, scheme.Classes);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"read in {clock.Elapsed.TotalSeconds:F0} s");
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "codes", "--check", path);
        Assert.Equal(2, code);
        Assert.Equal("crx: error: coding scheme 'big': 150000 classes; its metrics compare every pair of codewords and are computed for at most 16384",
            Assert.Single(error.Trim().Split('\n')));
    }

    /// <summary>A PNG declaring <paramref name="side"/> x <paramref name="side"/> 1-bit pixels, holding one compressed row.</summary>
    private static byte[] Png(int side)
    {
        static byte[] Chunk(string type, byte[] data)
        {
            var chunk = new byte[12 + data.Length];
            BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
            Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
            data.CopyTo(chunk, 8);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
            return chunk;
        }
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 1; // bit depth 1, grayscale, deflate, no filter, no interlace
        var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(new byte[side / 8 + 1]);
        return [0x89, .. "PNG\r\n\x1a\n"u8, .. Chunk("IHDR", header), .. Chunk("IDAT", idat.ToArray()), .. Chunk("IEND", [])];
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xffffffff;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xedb88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void An_image_declaring_more_pixels_than_its_bytes_can_hold_is_refused_before_it_is_decoded()
    {
        // 8000 x 8000 in about 100 bytes: decoding it took 256 MB for nothing.
        string path = fixture.NewPath("bomb-") + ".png";
        File.WriteAllBytes(path, Png(8000));
        long size = new FileInfo(path).Length;
        Exception? error = null;

        long memory = PeakMemory.Above(() =>
        {
            try { ImageDecoder.DecodeBitmap(path, 0).Dispose(); }
            catch (Exception e) { error = e; }
        });

        Assert.Equal($"{path}: the image declares 8000x8000 = 64000000 pixels in a file of {size} bytes; no PNG or JPEG holds more than 8256 pixels a byte (a decompression bomb)",
            Assert.IsType<InvalidInputException>(error).Message);
        Assert.True(memory < 64 << 20, $"the peak resident set rose by {memory >> 20} MiB");
    }

    [Fact]
    public void A_model_file_whose_architecture_its_weights_cannot_hold_is_refused_before_the_network_is_built()
    {
        // The fixture's checkpoint (under 1 MB) with meta.json declaring bottlenecks 300 times wider: building that
        // network took hundreds of MB before its weights were found not to fit.
        string wide = fixture.NewPath("wide-") + ".ckpt";
        var meta = System.Text.Json.Nodes.JsonNode.Parse(ZipEntries.Read(fixture.Checkpoint, ModelFile.MetaEntry))!;
        foreach (var block in meta["architecture"]!["blocks"]!.AsArray()) block!["bottleneck_width"] = 300;
        ZipEntries.Replace(fixture.Checkpoint, wide, ModelFile.MetaEntry, Encoding.UTF8.GetBytes(meta.ToJsonString()));
        Exception? error = null;

        long memory = PeakMemory.Above(() =>
        {
            try { Checkpoint.Load(wide).Network.Dispose(); }
            catch (Exception e) { error = e; }
        });

        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(wide)}: model\.safetensors holds [\d.]+ KiB, too little for the [\d.]+ MiB of weights its architecture declares$",
            Assert.IsType<InvalidInputException>(error).Message);
        Assert.True(memory < 64 << 20, $"the peak resident set rose by {memory >> 20} MiB");
    }

    [Fact]
    public void A_model_file_with_meta_json_twice_is_refused()
    {
        // .NET's zip reader takes the first entry of a name, others the last: the file would mean two different models.
        string twice = fixture.NewPath("twice-") + ".ckpt";
        File.Copy(fixture.Checkpoint, twice);
        using (var zip = ZipFile.Open(twice, ZipArchiveMode.Update))
        using (var entry = zip.CreateEntry(ModelFile.MetaEntry).Open())
            entry.Write(ZipEntries.Read(fixture.Checkpoint, ModelFile.MetaEntry));

        var e = Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(twice));

        Assert.Equal($"{twice}: damaged: its zip holds meta.json twice", e.Message);
    }

    [Fact]
    public void A_meta_json_naming_a_field_twice_is_refused()
    {
        // {"kind": …, …, "dataset": "a", "dataset": "b"}: one reader takes the first, another the last.
        string twice = fixture.NewPath("field-twice-") + ".ckpt";
        string json = Encoding.UTF8.GetString(ZipEntries.Read(fixture.Checkpoint, ModelFile.MetaEntry)).TrimEnd();
        json = json[..json.LastIndexOf('}')] + ", \"dataset\": \"cifar10\"}";
        ZipEntries.Replace(fixture.Checkpoint, twice, ModelFile.MetaEntry, Encoding.UTF8.GetBytes(json));

        var e = Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(twice));

        Assert.StartsWith($"{twice}: meta.json is not valid: ", e.Message);
        Assert.Contains("dataset", e.Message);
    }
}
