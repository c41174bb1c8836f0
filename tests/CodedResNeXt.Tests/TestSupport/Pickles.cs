using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// Pickles written opcode by opcode, and torch.save zips holding them: hostile files that no pickler writes (a memo
/// used to repeat a large object, a deep stack, views of one storage), for the tests of the readers that must bound them.
/// </summary>
public static class Pickles
{
    public static readonly byte[] Protocol2 = [0x80, 2];
    public const byte Mark = (byte)'(', Stop = (byte)'.', None = (byte)'N', EmptyDict = (byte)'}', EmptyTuple = (byte)')',
        MakeTuple = (byte)'t', SetItem = (byte)'s', SetItems = (byte)'u', Reduce = (byte)'R', NewObj = 0x81, Build = (byte)'b',
        Pop = (byte)'0', PopMark = (byte)'1', StackGlobal = 0x93, BinPersId = (byte)'Q', NewFalse = 0x89;

    public static byte[] Concat(params IEnumerable<byte>[] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Repeat(byte[] part, int times)
    {
        var bytes = new byte[part.Length * times];
        for (int i = 0; i < times; i++) part.CopyTo(bytes, i * part.Length);
        return bytes;
    }

    /// <summary>BINUNICODE: a string of any length.</summary>
    public static byte[] Unicode(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var bytes = new byte[5 + utf8.Length];
        bytes[0] = (byte)'X';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), utf8.Length);
        utf8.CopyTo(bytes, 5);
        return bytes;
    }

    /// <summary>BININT.</summary>
    public static byte[] Int(int value)
    {
        var bytes = new byte[5];
        bytes[0] = (byte)'J';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), value);
        return bytes;
    }

    /// <summary>LONG1: a two's complement integer of <paramref name="littleEndian"/>'s bytes.</summary>
    public static byte[] Long1(byte[] littleEndian) => Concat([0x8a, (byte)littleEndian.Length], littleEndian);

    public static byte[] Global(string module, string name) => Encoding.UTF8.GetBytes($"c{module}\n{name}\n");

    /// <summary>BINPUT / BINGET of memo entry <paramref name="index"/>.</summary>
    public static byte[] Put(byte index) => [(byte)'q', index];
    public static byte[] Get(byte index) => [(byte)'h', index];

    /// <summary>
    /// torch._utils._rebuild_tensor_v2 of storage <paramref name="key"/> (float32, <paramref name="elements"/> long) at
    /// <paramref name="offset"/> with <paramref name="size"/> and <paramref name="stride"/>, as torch.save writes it.
    /// </summary>
    public static byte[] Tensor(string key, int elements, int offset, int[] size, int[] stride) => Concat(
        Global("torch._utils", "_rebuild_tensor_v2"),
        [Mark, Mark], Unicode("storage"), Global("torch", "FloatStorage"), Unicode(key), Unicode("cpu"), Int(elements), [MakeTuple, BinPersId],
        Int(offset), [Mark], size.SelectMany(Int), [MakeTuple], [Mark], stride.SelectMany(Int), [MakeTuple],
        [NewFalse], Global("collections", "OrderedDict"), [EmptyTuple, Reduce], [MakeTuple, Reduce]);

    /// <summary>A Lightning-like checkpoint: {"state_dict": {name: tensor, …}}.</summary>
    public static byte[] Checkpoint(IEnumerable<(string Name, byte[] Tensor)> tensors) => Concat(
        Protocol2, [EmptyDict], Unicode("state_dict"), [EmptyDict, Mark],
        tensors.SelectMany(t => Concat(Unicode(t.Name), t.Tensor)), [SetItems, SetItem, Stop]);

    /// <summary>A torch.save zip: archive/data.pkl and one stored entry per storage under archive/data/.</summary>
    public static void WriteTorchZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var entry = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) entry.Write(pickle);
        foreach (var (key, data) in storages ?? new Dictionary<string, byte[]>())
        {
            using var entry = zip.CreateEntry($"archive/data/{key}", CompressionLevel.NoCompression).Open();
            entry.Write(data);
        }
    }
}
