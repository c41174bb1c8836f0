using System.IO.Compression;
using System.Text.RegularExpressions;
using static TorchSharp.torch;


namespace CodedResNeXt.Interop;

/// <summary>
/// Reads the tensors of a file written by PyTorch's <c>torch.save</c> in its zip format (PyTorch 1.6 and later): a
/// Lightning checkpoint (a dict whose "state_dict" holds the module's tensors, beside epoch, global_step, optimizer and
/// scheduler state), a dict holding them under "model" (timm's train state, many DDP scripts), or a bare state_dict;
/// names that all start with "module." (a DistributedDataParallel wrapper's) lose that prefix. The zip holds <c>NAME/data.pkl</c>, a pickle of the object whose tensors point
/// at storages <c>NAME/data/KEY</c>, one raw little-endian entry per storage.
/// <para>
/// The pickle is read by <see cref="TorchPickle"/>, which calls nothing (a hostile pickle's call of <c>os.system</c>
/// is refused) and does work linear in the pickle's bytes. The tensor and storage steps are ours: every size a file
/// declares is checked against what the zip really holds before anything is allocated (see the limits below), only the
/// storages of the state_dict are read, each once, and a tensor is a view of its storage that must lie inside it. What
/// reading costs is bounded by the file: the storages read, and the views of them that must be copied (a strided
/// view), each add up to at most <see cref="MaxInflation"/> times the file's size, checked before any is read.
/// </para>
/// </summary>
internal static class TorchCheckpoint
{
    /// <summary>More zip entries than this is not a checkpoint of a network: the ResNeXt-50 with its optimizer has fewer than 1000.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>
    /// The pickle of a Lightning checkpoint is tens of kB (32 kB for the CIFAR fixture, about 50 bytes a tensor); 8 MB
    /// leaves room for anything real. With <see cref="TorchPickle.MaxBytesPerPickleByte"/> it bounds what reading the pickle
    /// can take (every 1-byte opcode that makes an empty container costs an object of tens of bytes): at most 512 MB.
    /// </summary>
    public const int MaxPickleBytes = 8 << 20;

    /// <summary>Tensors a pickle may construct: each costs a few hundred bytes of bookkeeping before any data.</summary>
    public const int MaxTensors = 100_000;

    /// <summary>
    /// torch.save stores its entries uncompressed, but other writers (PyBridge's pickler) deflate them. Weights barely
    /// compress, so a file whose storages inflate to more than this many times its own size is a zip bomb, not weights.
    /// </summary>
    public const int MaxInflation = 16;

    private const int MaxDimensions = 16;

    /// <summary>What a checkpoint says about the run that wrote it, besides its tensors (for <c>crx info</c>).</summary>
    /// <param name="Epoch">Lightning's epoch counter (null when the file has none, as a bare state_dict).</param>
    /// <param name="GlobalStep">Lightning's optimizer-step counter.</param>
    /// <param name="LightningVersion">the pytorch-lightning version that saved it.</param>
    /// <param name="Tensors">the number of tensors in its state_dict.</param>
    /// <param name="Keys">the top-level keys of the checkpoint, in the file's order (empty for a bare state_dict).</param>
    public sealed record Summary(long? Epoch, long? GlobalStep, string? LightningVersion, int Tensors, IReadOnlyList<string> Keys);

    /// <summary>Whether <paramref name="path"/> is a zip holding a pickle at NAME/data.pkl (a torch.save file), without reading the pickle.</summary>
    public static bool IsTorchZip(string path)
    {
        try
        {
            using var file = InputFile.OpenRead(path, "checkpoint file");
            if (!file.CanSeek || file.ReadByte() != 'P' || file.ReadByte() != 'K') return false;
            file.Position = 0;
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            return zip.Entries.Count <= MaxEntries && zip.Entries.Any(e => PickleName.IsMatch(e.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidInputException) { return false; }
    }

    /// <summary>
    /// The state_dict of a Lightning checkpoint, a "model" entry or a bare torch.save state_dict, on the CPU, names as in
    /// the file (less a DDP wrapper's "module."); the caller owns the tensors. A tensor laid out row-major is a view of its
    /// storage (tensors may share one), a strided one a contiguous copy. A file that is not one, or declares sizes its
    /// zip does not hold, is an <see cref="InvalidInputException"/> naming <paramref name="path"/>.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        using var file = Open(path);
        using var zip = OpenZip(file, path);
        var (_, state) = Unpickle(zip, file.Length, path);
        // What reading costs, checked before anything is read: each storage once, and a copy of each strided view
        // (a contiguous view shares its storage). 5,000 transposed views of one 4 MB storage would otherwise copy 20 GB.
        long limit = file.Length * MaxInflation, storages = 0, copies = 0;
        var counted = new HashSet<StorageRef>(ReferenceEqualityComparer.Instance);
        foreach (var (_, t) in state)
        {
            if (counted.Add(t.Storage)) storages += t.Storage.Bytes;
            if (!t.IsContiguous) copies += t.Bytes;
        }
        if (storages > limit)
            throw Invalid(path, $"its storages add up to {storages} bytes, more than {MaxInflation} times the file's {file.Length}");
        if (copies > limit)
            throw Invalid(path, $"its strided tensors add up to {copies} bytes, more than {MaxInflation} times the file's {file.Length}");

        var result = new Dictionary<string, Tensor>();
        var read = new Dictionary<StorageRef, Tensor>(ReferenceEqualityComparer.Instance);
        try
        {
            foreach (var (name, t) in state)
            {
                if (!read.TryGetValue(t.Storage, out var storage)) read[t.Storage] = storage = ReadStorage(t.Storage, path);
                var view = storage.as_strided(t.Shape, t.Stride, t.Offset);
                if (t.IsContiguous) result[name] = view;
                else
                {
                    using (view) result[name] = view.contiguous();
                }
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        finally
        {
            // The views keep what they use of each storage alive.
            foreach (var t in read.Values) t.Dispose();
        }
    }

    /// <summary>Epoch, global step, Lightning version and the state_dict's size, reading the pickle but no tensor data.</summary>
    public static Summary ReadSummary(string path)
    {
        using var file = Open(path);
        using var zip = OpenZip(file, path);
        var (root, state) = Unpickle(zip, file.Length, path);
        var keys = root is null ? [] : root.Keys.Select(k => k switch { null => "None", string s => s, _ => TorchPickle.Describe(k) }).ToList();
        long? Number(string key) => root?.Get(key) as long?;
        return new Summary(Number("epoch"), Number("global_step"), root?.Get("pytorch-lightning_version") as string, state.Count, keys);
    }

    private static readonly Regex PickleName = new(@"^[^/]+/data\.pkl$");

    private static FileStream Open(string path)
    {
        var file = InputFile.OpenRead(path, "checkpoint file");
        if (!file.CanSeek)
        {
            file.Dispose();
            throw InvalidInputException.ForFile(path, "is not a regular file");
        }
        return file;
    }

    private static InvalidInputException Invalid(string path, string problem) =>
        InvalidInputException.ForFile(path, $"not a PyTorch/Lightning checkpoint this program reads: {problem}");

    private static ZipArchive OpenZip(FileStream file, string path)
    {
        ZipArchive? zip = null;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            // The central directory is read on first use: read it here, where a damaged one is this file's error.
            _ = zip.Entries.Count;
            return zip;
        }
        catch (InvalidDataException e)
        {
            zip?.Dispose();
            throw Invalid(path, $"not a zip archive ({e.Message})");
        }
    }

    /// <summary>The checkpoint's top-level dict (null for a bare state_dict) and its state_dict's tensors, not yet read, in the file's order.</summary>
    private static (TorchPickle.Dict? Root, List<(string Name, TensorRef Tensor)> State) Unpickle(ZipArchive zip, long fileLength, string path)
    {
        if (zip.Entries.Count > MaxEntries) throw Invalid(path, $"the zip has {zip.Entries.Count} entries, more than the {MaxEntries} a checkpoint can need");
        var pickles = zip.Entries.Where(e => PickleName.IsMatch(e.FullName)).ToList();
        if (pickles.Count != 1)
            throw Invalid(path, pickles.Count == 0 ? "the zip holds no NAME/data.pkl (torch.save writes one)" : "the zip holds more than one NAME/data.pkl");
        var pickle = pickles[0];
        string prefix = pickle.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
            if (e.FullName.StartsWith(prefix + "data/", StringComparison.Ordinal)
                && !storages.TryAdd(e.FullName[(prefix.Length + "data/".Length)..], e))
                // Zip readers disagree on which of two entries of one name they return: refuse the file.
                throw Invalid(path, $"the zip holds {TorchPickle.Shorten(e.FullName)} twice");

        byte[] bytes = ReadBounded(pickle, MaxPickleBytes, path);
        var reader = new StorageReader(storages, fileLength, path);
        object? root;
        try { root = TorchPickle.Load(bytes, reader.PersistentLoad, reader.Construct); }
        catch (TorchPickle.Malformed e) { throw Invalid(path, $"its pickle {e.Message}"); }

        var dict = root as TorchPickle.Dict ?? throw Invalid(path, $"its pickle holds {TorchPickle.Describe(root)}, not a dict");
        TorchPickle.Dict state;
        TorchPickle.Dict? top;
        // Lightning keeps the module's tensors under "state_dict"; timm's train state and many DDP scripts under "model".
        string? key = dict.Contains("state_dict") ? "state_dict" : dict.Contains("model") && !IsStateDict(dict) ? "model" : null;
        if (key is not null)
        {
            state = dict.Get(key) as TorchPickle.Dict ?? throw Invalid(path, $"its \"{key}\" is {TorchPickle.Describe(dict.Get(key))}, not a dict");
            top = dict;
        }
        else if (IsStateDict(dict))
        {
            state = dict;
            top = null;
        }
        else throw Invalid(path, "it has no \"state_dict\" (a Lightning checkpoint) and is not a state_dict itself");

        var tensors = new List<(string, TensorRef)>();
        foreach (var (k, value) in state.Items)
        {
            if (k is not string name) throw Invalid(path, $"its state_dict has a key that is {TorchPickle.Describe(k)}, not a name");
            if (value is not TensorRef t) throw Invalid(path, $"state_dict entry '{TorchPickle.Shorten(name)}' is {TorchPickle.Describe(value)}, not a tensor");
            tensors.Add((name, t));
        }
        // A module saved through its DistributedDataParallel wrapper has every name under "module.".
        const string wrapper = "module.";
        if (tensors.Count > 0 && tensors.All(t => t.Item1.StartsWith(wrapper, StringComparison.Ordinal)))
            tensors = tensors.Select(t => (t.Item1[wrapper.Length..], t.Item2)).ToList();
        return (top, tensors);
    }

    private static bool IsStateDict(TorchPickle.Dict dict) => dict.Count > 0 && dict.Values.All(v => v is TensorRef);

    /// <summary>An entry's bytes, at most <paramref name="limit"/>; the size is counted while inflating, not taken from the header.</summary>
    private static byte[] ReadBounded(ZipArchiveEntry entry, int limit, string path)
    {
        if (entry.Length > limit) throw Invalid(path, $"{entry.FullName} declares {entry.Length} bytes, more than the {limit} a checkpoint's pickle can need");
        try
        {
            using var stream = entry.Open();
            return InputFile.ReadBounded(stream, limit, () => Invalid(path, $"{entry.FullName} inflates to more than {limit} bytes"));
        }
        catch (InvalidDataException e) { throw Invalid(path, $"{entry.FullName} cannot be inflated ({e.Message})"); }
    }

    private static Tensor ReadStorage(StorageRef s, string path)
    {
        var t = empty([s.Elements], s.DType);
        try
        {
            using var stream = s.Entry.Open();
            stream.ReadExactly(t.bytes);
            return t;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            t.Dispose();
            throw Invalid(path, $"storage {s.Entry.FullName} cannot be read whole ({e.Message})");
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>A storage the pickle named: its entry, dtype and element count, checked against the entry's size.</summary>
    internal sealed record StorageRef(string Key, ScalarType DType, long Elements, long Bytes, ZipArchiveEntry Entry);

    /// <summary>A tensor as the pickle declares it: a strided view of a storage, checked to lie inside it.</summary>
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride, long Elements)
    {
        /// <summary>Its size in bytes, as a contiguous tensor.</summary>
        public long Bytes => Elements * ElementSize(Storage.DType);

        /// <summary>Whether the view is laid out row-major without gaps (a view of its storage, not a copy).</summary>
        public bool IsContiguous
        {
            get
            {
                if (Elements == 0) return true;
                long expected = 1;
                for (int i = Shape.Length - 1; i >= 0; i--)
                {
                    if (Shape[i] != 1 && Stride[i] != expected) return false;
                    expected *= Shape[i];
                }
                return true;
            }
        }
    }

    /// <summary>torch's persistent ids resolved against the zip, and its tensor constructors, for <see cref="TorchPickle"/>; counts bounded.</summary>
    private sealed class StorageReader(IReadOnlyDictionary<string, ZipArchiveEntry> entries, long fileLength, string path)
    {
        // By the key string's reference: the pickle's strings are interned, so a persistent id the memo repeats
        // costs no hash of its key.
        private readonly Dictionary<string, StorageRef> _storages = new(ReferenceEqualityComparer.Instance);
        private int _tensors;

        public object PersistentLoad(object? pid)
        {
            // torch.save's persistent id of a storage: ("storage", storage class, key, location, element count).
            if (pid is not object?[] { Length: 5 } id || id[0] is not "storage" || id[1] is not TorchPickle.Global type
                || id[2] is not string key)
                throw Invalid(path, "its pickle has a persistent id that is not a torch storage");
            if (_storages.TryGetValue(key, out var known)) return known;
            if (_storages.Count >= MaxTensors) throw Invalid(path, $"its pickle names more than {MaxTensors} storages");
            string shown = TorchPickle.Shorten(key);
            var dtype = StorageType(type) ?? throw Invalid(path, $"storage {shown} has type {type}, which this program does not read");
            long elements = Integer(id[4], $"storage {shown}'s element count");
            if (!entries.TryGetValue(key, out var entry)) throw Invalid(path, $"its pickle names storage {shown}, which the zip does not hold");
            long size = ElementSize(dtype);
            if (elements < 0 || elements > fileLength * MaxInflation / size || entry.Length != elements * size)
                throw Invalid(path, $"storage {shown} declares {elements} elements of {size} bytes but its entry holds {entry.Length} bytes");
            if (entry.Length > int.MaxValue) throw Invalid(path, $"storage {shown} is larger than 2 GB");
            return _storages[key] = new StorageRef(shown, dtype, elements, entry.Length, entry);
        }

        /// <summary>
        /// torch._utils._rebuild_tensor(_v2)(storage, offset, size, stride, ...): a view of the storage;
        /// _rebuild_parameter(tensor, ...): the tensor. Null for any other global.
        /// </summary>
        public object? Construct(TorchPickle.Global global, object?[] args)
        {
            if (global.Is("torch._utils", "_rebuild_tensor") || global.Is("torch._utils", "_rebuild_tensor_v2"))
            {
                if (args is not [StorageRef storage, var offset, object?[] size, object?[] stride, ..])
                    throw Invalid(path, "its pickle calls torch._utils._rebuild_tensor with arguments that are not (storage, offset, size, stride)");
                return Tensor(storage, offset, size, stride);
            }
            if (global.Is("torch._utils", "_rebuild_parameter") || global.Is("torch._utils", "_rebuild_parameter_with_state"))
                return args is [TensorRef tensor, ..] ? tensor
                    : throw Invalid(path, "its pickle calls torch._utils._rebuild_parameter with an argument that is not a tensor");
            return null;
        }

        private TensorRef Tensor(StorageRef storage, object? offsetArg, object?[] sizeArg, object?[] strideArg)
        {
            if (++_tensors > MaxTensors) throw Invalid(path, $"its pickle constructs more than {MaxTensors} tensors");
            string at = $"a tensor of storage {storage.Key}";
            if (sizeArg.Length > MaxDimensions || strideArg.Length != sizeArg.Length)
                throw Invalid(path, $"{at} has {sizeArg.Length} sizes and {strideArg.Length} strides");
            long offset = Integer(offsetArg, $"{at}'s offset");
            long[] shape = sizeArg.Select(s => Integer(s, $"{at}'s size")).ToArray();
            long[] stride = strideArg.Select(s => Integer(s, $"{at}'s stride")).ToArray();
            if (offset < 0 || shape.Any(d => d < 0) || stride.Any(d => d < 0))
                throw Invalid(path, $"{at} has a negative offset, size or stride");
            // The view must lie inside the storage and be no larger than it (no stride-0 expansion to a huge tensor):
            // what it costs to read is what the file holds.
            long elements = 1, last = offset;
            try
            {
                checked
                {
                    for (int i = 0; i < shape.Length; i++)
                    {
                        elements *= shape[i];
                        if (shape[i] > 0) last += (shape[i] - 1) * stride[i];
                    }
                }
            }
            catch (OverflowException) { throw Invalid(path, $"{at} has a shape whose size overflows"); }
            if (elements > storage.Elements || (elements > 0 && last >= storage.Elements))
                throw Invalid(path, $"{at} with shape [{string.Join(", ", shape)}] at offset {offset} does not fit in its {storage.Elements} elements");
            return new TensorRef(storage, offset, shape, stride, elements);
        }

        private long Integer(object? value, string what) => value switch
        {
            long l => l,
            TorchPickle.HugeInteger huge => throw Invalid(path, $"{what} is {huge}, larger than any size or count a tensor can have"),
            _ => throw Invalid(path, $"{what} is {TorchPickle.Describe(value)}, not an integer"),
        };

        private static ScalarType? StorageType(TorchPickle.Global type) => type.Module != "torch" ? null : type.Name switch
        {
            "DoubleStorage" => ScalarType.Float64,
            "FloatStorage" => ScalarType.Float32,
            "HalfStorage" => ScalarType.Float16,
            "BFloat16Storage" => ScalarType.BFloat16,
            "LongStorage" => ScalarType.Int64,
            "IntStorage" => ScalarType.Int32,
            "ShortStorage" => ScalarType.Int16,
            "CharStorage" => ScalarType.Int8,
            "ByteStorage" => ScalarType.Byte,
            "BoolStorage" => ScalarType.Bool,
            _ => null,
        };
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
