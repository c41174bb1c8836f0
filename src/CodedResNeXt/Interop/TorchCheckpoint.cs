using System.Collections;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop;

/// <summary>
/// Reads the tensors of a file written by PyTorch's <c>torch.save</c> in its zip format (PyTorch 1.6 and later): a
/// Lightning checkpoint (a dict whose "state_dict" holds the module's tensors, beside epoch, global_step, optimizer and
/// scheduler state), a dict holding them under "model" (timm's train state, many DDP scripts), or a bare state_dict;
/// names that all start with "module." (a DistributedDataParallel wrapper's) lose that prefix. The zip holds <c>NAME/data.pkl</c>, a pickle of the object whose tensors point
/// at storages <c>NAME/data/KEY</c>, one raw little-endian entry per storage.
/// <para>
/// The pickle is read with Razorvine.Pickle, the unpickler TorchSharp.PyBridge is built on, with PyBridge's
/// constructors for OrderedDict. Razorvine never imports or calls Python code: a global it does not know becomes an
/// inert dictionary, and calling one (what a hostile pickle does with <c>os.system</c>) fails, so such a file is
/// refused. The tensor and storage steps are ours, not PyBridge's <c>PyTorchUnpickler</c>, because that one allocates
/// every tensor from the shape the pickle declares before comparing it with its storage, reads the pickle from a stream
/// (where a 4-byte length makes Razorvine allocate up to 2 GB), looks storages up by a scan of all entries per tensor,
/// and mishandles tensors at a storage offset. Here every size a file declares is checked against what the zip really
/// holds before anything is allocated (see the limits below), only the storages of the state_dict are read, and a
/// tensor is a view of its storage that must lie inside it.
/// </para>
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>More zip entries than this is not a checkpoint of a network: the ResNeXt-50 with its optimizer has fewer than 1000.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>
    /// The pickle of a Lightning checkpoint is tens of kB (32 kB for the CIFAR fixture, about 50 bytes a tensor); 8 MB
    /// leaves room for anything real. The bound matters beyond the pickle's own bytes: every 1-byte opcode that makes an
    /// empty list or dict costs the unpickler an object of tens of bytes, so this also bounds what those can cost.
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

    static TorchCheckpoint()
    {
        // PyBridge registers its OrderedDict constructor (and its own tensor constructors) with Razorvine's process-wide
        // table when its unpickler is first touched. Run that now, then put ours in front of the tensor constructors:
        // ours handle our storages and hand anything else to PyBridge's, so PyBridge's own loaders keep working.
        RuntimeHelpers.RunClassConstructor(typeof(PyTorchUnpickler).TypeHandle);
        BoundedUnpickler.Register();
    }

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
    /// The state_dict of a Lightning checkpoint, a "model" entry or a bare torch.save state_dict, on the CPU, contiguous,
    /// names as in the file (less a DDP wrapper's "module."); the caller owns the tensors. A file that is not one, or
    /// declares sizes its zip does not hold, is an <see cref="InvalidInputException"/> naming <paramref name="path"/>.
    /// </summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        using var file = Open(path);
        using var zip = OpenZip(file, path);
        var (_, state) = Unpickle(zip, file.Length, path);
        var result = new Dictionary<string, Tensor>();
        var read = new Dictionary<string, Tensor>();
        try
        {
            long total = 0;
            foreach (var (name, t) in state)
            {
                if (!read.TryGetValue(t.Storage.Key, out var storage))
                {
                    total += t.Storage.Bytes;
                    if (total > file.Length * MaxInflation)
                        throw Invalid(path, $"its storages add up to more than {MaxInflation} times the file's {file.Length} bytes");
                    read[t.Storage.Key] = storage = ReadStorage(t.Storage, path);
                }
                result[name] = storage.as_strided(t.Shape, t.Stride, t.Offset).contiguous();
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
            foreach (var t in read.Values) t.Dispose();
        }
    }

    /// <summary>Epoch, global step, Lightning version and the state_dict's size, reading the pickle but no tensor data.</summary>
    public static Summary ReadSummary(string path)
    {
        using var file = Open(path);
        using var zip = OpenZip(file, path);
        var (root, state) = Unpickle(zip, file.Length, path);
        var keys = root is null ? [] : root.Keys.Cast<object>().Select(k => k?.ToString() ?? "None").ToList();
        long? Number(string key) => root?[key] switch { int i => i, long l => l, _ => null };
        return new Summary(Number("epoch"), Number("global_step"), root?["pytorch-lightning_version"] as string, state.Count, keys);
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
    private static (IDictionary? Root, List<(string Name, TensorRef Tensor)> State) Unpickle(ZipArchive zip, long fileLength, string path)
    {
        if (zip.Entries.Count > MaxEntries) throw Invalid(path, $"the zip has {zip.Entries.Count} entries, more than the {MaxEntries} a checkpoint can need");
        var pickles = zip.Entries.Where(e => PickleName.IsMatch(e.FullName)).ToList();
        if (pickles.Count != 1)
            throw Invalid(path, pickles.Count == 0 ? "the zip holds no NAME/data.pkl (torch.save writes one)" : "the zip holds more than one NAME/data.pkl");
        var pickle = pickles[0];
        string prefix = pickle.FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var e in zip.Entries)
            if (e.FullName.StartsWith(prefix + "data/", StringComparison.Ordinal))
                storages[e.FullName[(prefix.Length + "data/".Length)..]] = e;

        byte[] bytes = ReadBounded(pickle, MaxPickleBytes, path);
        object? root;
        var unpickler = new BoundedUnpickler(storages, fileLength, path);
        try { root = unpickler.loads(bytes); }
        catch (InvalidInputException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Razorvine calls nothing it does not know: a pickle that calls an unknown global (os.system, eval,
            // a class it would import) fails here, and so does a damaged one.
            string first = (e.InnerException ?? e).Message.Split('\n')[0];
            var call = Regex.Match(first, @"ClassDict \(for ([^)]+)\)");
            throw Invalid(path, call.Success
                ? $"its pickle calls {call.Groups[1].Value}, which is neither a tensor nor a container; refused without running it"
                : $"its pickle is not valid ({e.GetType().Name}: {first})");
        }
        finally { unpickler.close(); }

        var dict = root as IDictionary ?? throw Invalid(path, $"its pickle holds {Describe(root)}, not a dict");
        IDictionary state;
        IDictionary? top;
        // Lightning keeps the module's tensors under "state_dict"; timm's train state and many DDP scripts under "model".
        string? key = dict.Contains("state_dict") ? "state_dict" : dict.Contains("model") && !IsStateDict(dict) ? "model" : null;
        if (key is not null)
        {
            state = dict[key] as IDictionary ?? throw Invalid(path, $"its \"{key}\" is {Describe(dict[key])}, not a dict");
            top = dict;
        }
        else if (IsStateDict(dict))
        {
            state = dict;
            top = null;
        }
        else throw Invalid(path, "it has no \"state_dict\" (a Lightning checkpoint) and is not a state_dict itself");

        var tensors = new List<(string, TensorRef)>();
        foreach (DictionaryEntry entry in state)
        {
            if (entry.Key is not string name) throw Invalid(path, $"its state_dict has a key {Describe(entry.Key)}, not a name");
            if (entry.Value is not TensorRef t) throw Invalid(path, $"state_dict entry '{name}' is {Describe(entry.Value)}, not a tensor");
            tensors.Add((name, t));
        }
        // A module saved through its DistributedDataParallel wrapper has every name under "module.".
        const string wrapper = "module.";
        if (tensors.Count > 0 && tensors.All(t => t.Item1.StartsWith(wrapper, StringComparison.Ordinal)))
            tensors = tensors.Select(t => (t.Item1[wrapper.Length..], t.Item2)).ToList();
        return (top, tensors);
    }

    private static bool IsStateDict(IDictionary dict) => dict.Count > 0 && dict.Values.Cast<object?>().All(v => v is TensorRef);

    private static string Describe(object? value) => value switch
    {
        null => "None",
        ClassDict c => $"an object of {c.ClassName}",
        string => "a string",
        int or long or BigInteger => "a number",
        _ => $"a {value.GetType().Name}",
    };

    /// <summary>An entry's bytes, at most <paramref name="limit"/>; the size is counted while inflating, not taken from the header.</summary>
    private static byte[] ReadBounded(ZipArchiveEntry entry, int limit, string path)
    {
        if (entry.Length > limit) throw Invalid(path, $"{entry.FullName} declares {entry.Length} bytes, more than the {limit} a checkpoint's pickle can need");
        try
        {
            using var stream = entry.Open();
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = stream.Read(chunk)) > 0)
            {
                if (buffer.Length + n > limit) throw Invalid(path, $"{entry.FullName} inflates to more than {limit} bytes");
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
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
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    /// <summary>Razorvine's unpickler with torch's persistent storage ids resolved against the zip, and counts bounded.</summary>
    private sealed class BoundedUnpickler(IReadOnlyDictionary<string, ZipArchiveEntry> entries, long fileLength, string path) : Unpickler
    {
        private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);
        private string File => path;
        private int _tensors;

        public static void Register()
        {
            foreach (string name in new[] { "_rebuild_tensor", "_rebuild_tensor_v2" })
            {
                objectConstructors.TryGetValue($"torch._utils.{name}", out var theirs);
                registerConstructor("torch._utils", name, new RebuildTensor(theirs));
            }
        }

        protected override object persistentLoad(object pid)
        {
            // torch.save's persistent id of a storage: ("storage", storage class, key, location, element count).
            if (pid is not object[] { Length: 5 } id || id[0] is not "storage" || id[1] is not ClassDictConstructor type
                || id[2] is not string key)
                throw Invalid(path, "its pickle has a persistent id that is not a torch storage");
            if (_storages.TryGetValue(key, out var known)) return known;
            if (_storages.Count >= MaxTensors) throw Invalid(path, $"its pickle names more than {MaxTensors} storages");
            var dtype = StorageType(type.name) ?? throw Invalid(path, $"storage {key} has type {type.module}.{type.name}, which this program does not read");
            long elements = Integer(id[4], $"storage {key}'s element count");
            if (!entries.TryGetValue(key, out var entry)) throw Invalid(path, $"its pickle names storage {key}, which the zip does not hold");
            long size = ElementSize(dtype);
            if (elements < 0 || elements > fileLength * MaxInflation / size || entry.Length != elements * size)
                throw Invalid(path, $"storage {key} declares {elements} elements of {size} bytes but its entry holds {entry.Length} bytes");
            if (entry.Length > int.MaxValue) throw Invalid(path, $"storage {key} is larger than 2 GB");
            return _storages[key] = new StorageRef(key, dtype, elements, entry.Length, entry);
        }

        /// <summary>torch._utils._rebuild_tensor(_v2)(storage, offset, size, stride, ...): a view of the storage.</summary>
        private sealed class RebuildTensor(IObjectConstructor? other) : IObjectConstructor
        {
            public object construct(object[] args)
            {
                // Not reading on this thread: PyBridge's own unpickler at work, whose tensors its constructor builds.
                var owner = CurrentOwner;
                if (owner is null)
                    return other?.construct(args) ?? throw new PickleException("torch._utils._rebuild_tensor outside a checkpoint read");
                if (args is not [StorageRef storage, var offsetArg, object[] sizeArg, object[] strideArg, ..])
                    throw Invalid(owner.File, "its pickle calls torch._utils._rebuild_tensor with arguments that are not (storage, offset, size, stride)");
                return owner.Tensor(storage, offsetArg, sizeArg, strideArg);
            }
        }

        // Razorvine's constructors are process-wide; the unpickler reading on this thread checks what they build.
        [ThreadStatic] private static BoundedUnpickler? CurrentOwner;

        public new object loads(byte[] pickle)
        {
            CurrentOwner = this;
            try { return base.loads(pickle); }
            finally { CurrentOwner = null; }
        }

        private TensorRef Tensor(StorageRef storage, object offsetArg, object[] sizeArg, object[] strideArg)
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
            return new TensorRef(storage, offset, shape, stride);
        }

        private long Integer(object? value, string what) => value switch
        {
            int i => i,
            long l => l,
            BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
            _ => throw Invalid(path, $"{what} is {Describe(value)}, not an integer"),
        };

        private static ScalarType? StorageType(string name) => name switch
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
