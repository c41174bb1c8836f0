using System.IO.Compression;
using System.Diagnostics;
using CodedResNeXt.Interop;
using CodedResNeXt.Tests.TestSupport;
using static CodedResNeXt.Tests.TestSupport.Pickles;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31, work that grows faster than the file: pickles of a few MB whose structure made the unpickler do work
/// quadratic in their size (the memo names a large object in two bytes, and every use of it copied or hashed the whole
/// object; POP_MARK copied the stack; a decimal integer parses in quadratic time), and checkpoints whose one storage is
/// viewed by many tensors. Each is read or refused in one line within <see cref="TimeBound"/>, allocating at most
/// <see cref="BytesPerByte"/> bytes per byte of its pickle (the reader's stated constant).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class HostilePickleTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    /// <summary>The reader's stated constant: managed memory per pickle byte (TorchPickle.MaxBytesPerPickleByte).</summary>
    private const long BytesPerByte = 64;
    /// <summary>A few MB of pickle read in well under a second; the bound leaves room for a loaded machine.</summary>
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>
    /// Reads <paramref name="path"/> on a thread of its own, within <see cref="TimeBound"/>: the exception it ended with
    /// (null when it read) and what it allocated on the managed heap.
    /// </summary>
    private static (Exception? Error, long Allocated, TimeSpan Took) ReadBounded(string path, Action<string> read)
    {
        Exception? error = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(path); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 16 << 20) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeBound), $"{Path.GetFileName(path)}: not read or refused within {TimeBound.TotalSeconds} s");
        return (error, allocated, clock.Elapsed);
    }

    private static void ReadAll(string path)
    {
        foreach (var t in TorchCheckpoint.ReadStateDict(path).Values) t.Dispose();
    }

    private string Zip(string name, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
    {
        string path = _tmp[name + ".ckpt"];
        WriteTorchZip(path, pickle, storages);
        return path;
    }

    // Each pickle ends by building an empty dict: whatever its body cost, the file is then refused as no state_dict.
    private static byte[] Body(params byte[][] parts) => Concat(Protocol2, Concat(parts), [EmptyDict, Stop]);

    private static readonly byte[] Long = System.Text.Encoding.ASCII.GetBytes(new string('m', 1 << 20));

    public static TheoryData<string> Structures() => ["pop-mark", "build", "stack-global", "dict-key", "codecs-encode", "decimal"];

    private static byte[] Hostile(string structure) => structure switch
    {
        // 500,000 items on the stack, then 250,000 MARK/POP_MARK pairs: Razorvine's POP_MARK copied the stack each time.
        "pop-mark" => Body(Repeat([None], 500_000), Repeat([Mark, PopMark], 250_000)),
        // A dict of 50,000 names, memoized, then BUILD with it 300,000 times on an object: each BUILD copied the dict.
        "build" => Body([EmptyDict], Put(0), [Mark], Concat(Enumerable.Range(0, 50_000).Select(i => Concat(Unicode($"k{i}"), [None])).ToArray()),
            [SetItems], Global("x", "Y"), [EmptyTuple, NewObj], Repeat(Concat(Get(0), [Build]), 300_000), [Pop, Pop]),
        // A 1 MB module name and a short name, memoized, then STACK_GLOBAL of them 200,000 times: each hashed 1 MB.
        "stack-global" => Body(Unicode(System.Text.Encoding.ASCII.GetString(Long)), Put(0), Unicode("n"), Put(1), [Pop, Pop],
            Repeat(Concat(Get(0), Get(1), [StackGlobal, Pop]), 200_000)),
        // A 1 MB string used as a dict key 300,000 times: each SETITEM hashed the whole key.
        "dict-key" => Body(Unicode(System.Text.Encoding.ASCII.GetString(Long)), Put(0), [Pop, EmptyDict], Repeat(Concat(Get(0), [None, SetItem]), 300_000), [Pop]),
        // _codecs.encode(a 1 MB string, "latin1") 200,000 times: each call copied the string into new bytes.
        "codecs-encode" => Body(Unicode(System.Text.Encoding.ASCII.GetString(Long)), Put(0), Unicode("latin1"), Put(1), Global("_codecs", "encode"), Put(2),
            [Pop, Pop, Pop], Repeat(Concat(Get(2), Get(0), Get(1), [0x86, Reduce, Pop]), 200_000)),
        // One integer of 7.5 million decimal digits: parsing it took quadratic time.
        "decimal" => Body([(byte)'L'], Repeat([(byte)'7'], 7_500_000), "L\n"u8.ToArray(), [Pop]),
        _ => throw new ArgumentException(structure),
    };

    [Theory]
    [MemberData(nameof(Structures))]
    public void A_pickle_whose_structure_costs_more_than_its_bytes_is_read_in_linear_time_and_memory(string structure)
    {
        byte[] pickle = Hostile(structure);
        Assert.True(pickle.Length <= TorchCheckpoint.MaxPickleBytes);
        string path = Zip(structure, pickle);

        var (error, allocated, took) = ReadBounded(path, ReadAll);

        var refused = Assert.IsType<InvalidInputException>(error);
        Assert.Equal($"{path}: not a PyTorch/Lightning checkpoint this program reads: it has no \"state_dict\" (a Lightning checkpoint) and is not a state_dict itself", refused.Message);
        Assert.True(allocated <= BytesPerByte * pickle.Length + (16 << 20),
            $"{structure}: {allocated / 1e6:F0} MB allocated for a pickle of {pickle.Length / 1e6:F1} MB, in {took.TotalSeconds:F1} s");
    }

    [Fact]
    public void A_flood_of_one_byte_opcodes_stays_within_the_stated_memory_per_byte()
    {
        // The worst case of the reader's constant: each 1-byte opcode makes a new object or pushes one.
        foreach (byte op in new[] { EmptyDict, (byte)']', (byte)0x8f, None })
        {
            byte[] pickle = Concat(Protocol2, [Mark], Repeat([op], 2_000_000), [PopMark, EmptyDict, Stop]);
            string path = Zip($"flood-{op:x2}", pickle);
            var (error, allocated, _) = ReadBounded(path, ReadAll);
            Assert.IsType<InvalidInputException>(error);
            output.WriteLine($"opcode 0x{op:x2}: {(double)allocated / pickle.Length:F1} bytes allocated per pickle byte");
            Assert.True(allocated <= BytesPerByte * pickle.Length + (16 << 20), $"opcode 0x{op:x2}: {allocated / 1e6:F0} MB for {pickle.Length / 1e6:F1} MB");
        }
    }

    [Fact]
    public void A_storage_viewed_by_many_strided_tensors_is_refused_before_any_view_is_copied()
    {
        // One 4 MB storage, viewed transposed under 300 names: reading copied every view (1.2 GB) before any name was
        // checked. What the views need is now compared with the file before anything is read.
        const int side = 1024;
        var views = Enumerable.Range(0, 300).Select(i => ($"view{i}", Pickles.Tensor("0", side * side, 0, [side, side], [1, side])));
        string path = Zip("strided-views", Checkpoint(views), new Dictionary<string, byte[]> { ["0"] = new byte[4 * side * side] });

        var (error, _, took) = ReadBounded(path, ReadAll);

        var refused = Assert.IsType<InvalidInputException>(error);
        Assert.Equal($"{path}: not a PyTorch/Lightning checkpoint this program reads: its strided tensors add up to {300L * 4 * side * side} bytes, " +
                     $"more than 16 times the file's {new FileInfo(path).Length}", refused.Message);
        Assert.True(took < TimeSpan.FromSeconds(5), $"refused after {took.TotalSeconds:F1} s");
        var (code, _, error2) = CrxProcess.Run(_tmp.Path, "import", "--from", "lightning", "--arch", "cifar10", path, "--out", _tmp["imported.ckpt"]);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {refused.Message}", error2.Trim());
    }

    [Fact]
    public void Views_of_one_storage_laid_out_row_major_share_it_and_keep_their_values()
    {
        // Tied or sliced weights: 100 names over one storage cost the storage once, and each reads its own slice.
        const int n = 1000;
        var data = new byte[4 * n];
        for (int i = 0; i < n; i++) BitConverter.GetBytes((float)i).CopyTo(data, 4 * i);
        var views = Enumerable.Range(0, 100).Select(i => ($"slice{i}", Pickles.Tensor("0", n, i, [10], [1])));
        string path = Zip("row-major-views", Checkpoint(views), new Dictionary<string, byte[]> { ["0"] = data });

        var read = TorchCheckpoint.ReadStateDict(path);

        Assert.Equal(100, read.Count);
        Assert.Equal(Enumerable.Range(37, 10).Select(i => (float)i), read["slice37"].data<float>().ToArray());
        foreach (var t in read.Values) t.Dispose();
    }

    [Fact]
    public void An_integer_too_large_for_any_size_is_named_as_one()
    {
        // A 9-byte element count, above 2^63: it is an integer, just larger than anything a tensor can have.
        byte[] huge = [0, 0, 0, 0, 0, 0, 0, 0, 1];
        byte[] tensor = Concat(Global("torch._utils", "_rebuild_tensor_v2"), [Mark, Mark], Unicode("storage"), Global("torch", "FloatStorage"),
            Unicode("0"), Unicode("cpu"), Long1(huge), [MakeTuple, BinPersId], Int(0), [Mark], Int(1), [MakeTuple], [Mark], Int(1), [MakeTuple],
            [NewFalse], Global("collections", "OrderedDict"), [EmptyTuple, Reduce], [MakeTuple, Reduce]);
        string path = Zip("huge-count", Checkpoint([("w", tensor)]), new Dictionary<string, byte[]> { ["0"] = new byte[4] });

        var e = Assert.Throws<InvalidInputException>(() => ReadAll(path));

        Assert.Equal($"{path}: not a PyTorch/Lightning checkpoint this program reads: storage 0's element count is an integer of 9 bytes, " +
                     "larger than any size or count a tensor can have", e.Message);
    }

    [Fact]
    public void A_memo_index_past_the_end_and_a_storage_entry_twice_are_refused()
    {
        // Picklers number the memo 0, 1, 2, …; sparse indices only serve to make its keys collide.
        string gap = Zip("memo-gap", Body([None], Put(200), [Pop]));
        Assert.EndsWith("its pickle stores memo entry 200 where the next is 0", Assert.Throws<InvalidInputException>(() => ReadAll(gap)).Message);

        // Two entries of one storage: which one a zip reader returns differs between readers.
        string twice = _tmp["twice.ckpt"];
        using (var zip = ZipFile.Open(twice, ZipArchiveMode.Create))
        {
            using (var e = zip.CreateEntry("archive/data.pkl").Open()) e.Write(Checkpoint([("w", Pickles.Tensor("0", 1, 0, [1], [1]))]));
            foreach (float value in new[] { 1f, float.NaN })
                using (var e = zip.CreateEntry("archive/data/0").Open()) e.Write(BitConverter.GetBytes(value));
        }
        Assert.EndsWith("the zip holds archive/data/0 twice", Assert.Throws<InvalidInputException>(() => ReadAll(twice)).Message);
    }
}
