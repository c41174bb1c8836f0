using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to
/// {dtype, shape, data_offsets} (plus an optional "__metadata__" string map), then the raw little-endian
/// data. Files written here load in Python's safetensors/PyTorch and back.
/// <para>
/// Reading is TorchSharp.PyBridge's <c>Safetensors.LoadStateDict</c>, after this class has checked the header: PyBridge
/// trusts it (it allocates a header of any declared length up to 2 GB and every tensor at its declared shape before
/// comparing it with its byte range, and checks neither that the ranges lie inside the file nor that names are distinct
/// and ranges disjoint), so a header reaches it only once every size in it is known to fit in the file.
/// Writing stays ours, for two things PyBridge's <c>SaveStateDict</c> does not do: it pads the header with spaces so the
/// data starts 8-byte aligned, as the reference writer does (PyTorch views the bytes of a mapped file as tensors of the
/// dtype, which needs the alignment), and it writes the tensors sorted by name, so the same weights make the same bytes.
/// </para>
/// </summary>
internal static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    // Headers are a few kB per hundred tensors; anything near this is not a safetensors file.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<ScalarType, string> DTypeNames = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16",
        [ScalarType.BFloat16] = "BF16", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> DTypes = DTypeNames.ToDictionary(p => p.Value, p => p.Key);

    /// <summary>Writes <paramref name="tensors"/>, sorted by name, atomically (<see cref="OutputFile"/>).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors) => OutputFile.Write(path, file => Save(file, tensors));

    /// <summary>Writes <paramref name="tensors"/>, sorted by name, to a stream (which need not seek: a zip entry will do).</summary>
    public static void Save(Stream file, IReadOnlyDictionary<string, Tensor> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var contiguous = names.ToDictionary(n => n, n => tensors[n].detach().cpu().contiguous());
        try
        {
            using var header = new MemoryStream();
            using (var json = new Utf8JsonWriter(header))
            {
                json.WriteStartObject();
                long offset = 0;
                foreach (var name in names)
                {
                    var t = contiguous[name];
                    if (!DTypeNames.TryGetValue(t.dtype, out var dtype))
                        throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors cannot hold");
                    long size = t.numel() * t.ElementSize;
                    json.WriteStartObject(name);
                    json.WriteString("dtype", dtype);
                    json.WriteStartArray("shape");
                    foreach (long dim in t.shape) json.WriteNumberValue(dim);
                    json.WriteEndArray();
                    json.WriteStartArray("data_offsets");
                    json.WriteNumberValue(offset);
                    json.WriteNumberValue(offset + size);
                    json.WriteEndArray();
                    json.WriteEndObject();
                    offset += size;
                }
                json.WriteEndObject();
            }
            // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
            while (header.Length % 8 != 0) header.WriteByte((byte)' ');

            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            header.Position = 0;
            header.CopyTo(file);
            foreach (var name in names) file.Write(contiguous[name].bytes);
        }
        finally
        {
            foreach (var t in contiguous.Values) t.Dispose();
        }
    }

    /// <summary>Reads every tensor of the file, on the CPU; the caller owns them.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = InputFile.OpenRead(path, "safetensors file");
        return Load(file, Path.GetFileName(path));
    }

    /// <summary>Reads every tensor of a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static Dictionary<string, Tensor> Load(Stream file, string source)
    {
        ReadHeader(file, source);
        file.Position = 0;
        // The header is sound (every range inside the file, disjoint, of its shape's size): PyBridge reads the data.
        return TorchSharp.PyBridge.Safetensors.LoadStateDict(file, leaveOpen: true);
    }

    /// <summary>Saves a module's state_dict: parameters and buffers (BN running statistics, num_batches_tracked).</summary>
    public static void Save(nn.Module module, string path) => Save(path, module.state_dict());

    /// <summary>
    /// Copies the file's tensors into <paramref name="module"/>'s state_dict. The file must hold exactly the
    /// module's tensor names with the same shapes and dtypes; otherwise an <see cref="InvalidInputException"/>
    /// names the file and the first mismatching tensor (in state_dict order), and the module is left unchanged.
    /// </summary>
    public static void LoadInto(nn.Module module, string path)
    {
        using var stream = InputFile.OpenRead(path, "safetensors file");
        LoadInto(module, stream, Path.GetFileName(path));
    }

    /// <summary>As <see cref="LoadInto(nn.Module, string)"/>, from a seekable stream named <paramref name="file"/> in errors.</summary>
    public static void LoadInto(nn.Module module, Stream stream, string file)
    {
        var (entries, _) = ReadHeader(stream, file);
        var inFile = entries.ToDictionary(e => e.Name);
        var state = module.state_dict();
        foreach (var (name, target) in state)
        {
            if (!inFile.TryGetValue(name, out var e))
                throw new InvalidInputException($"{file}: tensor '{name}' {Shape(target.shape)} of the network is missing from the file");
            if (!e.Shape.SequenceEqual(target.shape))
                throw new InvalidInputException($"{file}: tensor '{name}' has shape {Shape(e.Shape)} in the file but {Shape(target.shape)} in the network");
            if (e.DType != target.dtype)
                throw new InvalidInputException($"{file}: tensor '{name}' is {DTypeNames[e.DType]} in the file but {DTypeNames.GetValueOrDefault(target.dtype, target.dtype.ToString())} in the network");
        }
        foreach (var e in entries)
            if (!state.ContainsKey(e.Name))
                throw new InvalidInputException($"{file}: the file holds tensor '{e.Name}', which the network does not have");

        var loaded = Load(stream, file);
        try
        {
            using var _ = no_grad();
            foreach (var (name, target) in state) target.copy_(loaded[name]);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>
    /// Checks the header against the file: its length, its JSON (no name twice, at the top or inside an entry), each
    /// entry's dtype, shape (whose byte size must not overflow) and data_offsets (inside the data, exactly the shape's
    /// size, no two ranges overlapping), and the metadata's strings.
    /// </summary>
    private static (List<Entry> Entries, long DataStart) ReadHeader(Stream stream, string file)
    {
        InvalidInputException Invalid(string problem) => new($"{file}: not a valid safetensors file: {problem}");

        stream.Position = 0;
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8) throw Invalid("shorter than its 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw Invalid($"header length {headerLength} does not fit in a file of {fileLength} bytes");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;

        var entries = new List<Entry>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(Encoding.UTF8.GetString(headerBytes)); }
        catch (JsonException e) { throw Invalid($"the header is not JSON ({e.Message.Split('\n')[0]})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid("the header is not a JSON object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                // JSON parsers disagree on a repeated name (first wins, last wins, or an error): refuse it.
                if (!names.Add(p.Name)) throw Invalid($"tensor '{p.Name}' appears twice in the header");
                if (p.Name == MetadataKey)
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Invalid("__metadata__ is not an object");
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var m in p.Value.EnumerateObject())
                        if (!keys.Add(m.Name) || m.Value.ValueKind != JsonValueKind.String)
                            throw Invalid($"__metadata__ entry '{m.Name}' is repeated or not a string");
                    continue;
                }
                entries.Add(ParseEntry(p, dataLength, Invalid));
            }
        }
        entries = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        // Overlapping ranges would make two tensors share (or split) bytes: no writer does that.
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Begin < entries[i - 1].End)
                throw Invalid($"tensors '{entries[i - 1].Name}' and '{entries[i].Name}' overlap in the data (bytes {entries[i].Begin}..{entries[i - 1].End})");
        return (entries, dataStart);
    }

    private static Entry ParseEntry(JsonProperty p, long dataLength, Func<string, InvalidInputException> invalid)
    {
        var v = p.Value;
        string at = $"tensor '{p.Name}'";
        if (v.ValueKind == JsonValueKind.Object && v.EnumerateObject().GroupBy(f => f.Name).Any(g => g.Count() > 1))
            throw invalid($"{at} names a field twice");
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array
            || offsetsJson.GetArrayLength() != 2)
            throw invalid($"{at} lacks dtype, shape or data_offsets");
        string dtypeName = dtypeJson.GetString()!;
        if (!DTypes.TryGetValue(dtypeName, out var dtype)) throw invalid($"{at} has dtype {dtypeName}, which is not supported");
        var shape = new long[shapeJson.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out shape[i]) || shape[i] < 0) throw invalid($"{at} has a bad shape");
            i++;
        }
        if (!offsetsJson[0].TryGetInt64(out long begin) || !offsetsJson[1].TryGetInt64(out long end)
            || begin < 0 || end < begin || end > dataLength)
            throw invalid($"{at} has data_offsets outside the {dataLength} data bytes");
        long expected = ElementSize(dtype);
        try
        {
            foreach (long d in shape) expected = checked(expected * d);
        }
        catch (OverflowException) { throw invalid($"{at} has shape [{string.Join(", ", shape)}], whose byte size overflows"); }
        if (end - begin != expected) throw invalid($"{at} has {end - begin} data bytes but its dtype and shape need {expected}");
        return new Entry(p.Name, dtype, shape, begin, end);
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
