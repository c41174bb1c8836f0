using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace CodedResNeXt.Interop;

/// <summary>
/// Reads the pickle of a <c>torch.save</c> file (protocols 2 to 5, and the protocol 0/1 opcodes a protocol 2 pickler can
/// still emit) into inert values, calling nothing: a global is a name, and calling one is either a tensor or container
/// constructor this program knows (<see cref="TorchCheckpoint"/> builds tensors), an inert object, or a refusal.
/// <para>
/// Every opcode costs work and memory linear in the bytes that declare it: O(1) for an opcode of fixed size, O(n)
/// for one that reads n bytes, O(k) for one that pops k items (each pushed by at least one byte). Razorvine's
/// unpickler, which this replaces, is not: with the memo a pickle can name a large object in two bytes, and Razorvine
/// then copies or hashes the whole object per use (BUILD copies a dict into an object, <c>_codecs.encode</c>,
/// <c>array.array</c> and <c>set</c> copy their argument, STACK_GLOBAL hashes and concatenates its two strings, a
/// dict key is hashed from its contents), POP_MARK copies the whole stack, a decimal integer is parsed in quadratic
/// time, and dict keys hash predictably, so a few MB of pickle took minutes or gigabytes. Here, instead:
/// </para>
/// <list type="bullet">
/// <item>strings are interned when read, so equal strings are one object: a dict hashes and compares string keys by
/// reference, and numbers by value through <see cref="HashCode"/>'s per-process random seed (no crafted collisions);
/// other keys (tuples, objects) by reference, as Razorvine did;</item>
/// <item>nothing is copied: bytes are slices of the pickle, BUILD keeps a reference to its state, a call of a known
/// harmless constructor (<c>set</c>, <c>_codecs.encode</c>, numpy scalars, …) keeps a reference to its arguments;</item>
/// <item>marks are a stack of positions, so MARK and POP_MARK are O(1) and O(items popped);</item>
/// <item>an integer of more than 8 bytes (or 19 digits) is a <see cref="HugeInteger"/>, never parsed: no size or index
/// in a checkpoint needs one;</item>
/// <item>the memo is a list: a pickler numbers it 0, 1, 2, …, and an index past its end is refused.</item>
/// </list>
/// Memory is at most <see cref="MaxBytesPerPickleByte"/> bytes per pickle byte (a flood of 1-byte opcodes that each
/// make an empty container is the worst case), checked by the tests.
/// </summary>
internal sealed class TorchPickle
{
    /// <summary>The most managed memory, in bytes, reading one pickle byte may take (measured worst case 52, with the list growth and the pickle's own copy).</summary>
    public const int MaxBytesPerPickleByte = 64;

    /// <summary>A pickle that is damaged or asks for something this reader refuses; the message says what, without the file.</summary>
    public sealed class Malformed(string problem) : Exception(problem);

    /// <summary>A Python global named by GLOBAL or STACK_GLOBAL: a name, never resolved to anything that runs.</summary>
    public sealed class Global(string module, string name)
    {
        public string Module { get; } = module;
        public string Name { get; } = name;
        /// <summary>Whether this is <paramref name="module"/>.<paramref name="name"/>; O(length of the constants).</summary>
        public bool Is(string module, string name) => Module == module && Name == name;
        public override string ToString() => $"{Shorten(Module)}.{Shorten(Name)}";
    }

    /// <summary>An object of a class this reader does not build, made inert: its items, list and state kept as given.</summary>
    public sealed class Instance(Global type)
    {
        public Global Type { get; } = type;
        public Dict? Items { get; set; }
        public List<object?>? List { get; set; }
        public object? State { get; set; }
        /// <summary>The arguments of a known harmless constructor (set, _codecs.encode, a numpy scalar): referenced, not copied.</summary>
        public object?[]? Arguments { get; init; }
    }

    /// <summary>An integer beyond 64 bits, of which only its size is kept.</summary>
    public sealed class HugeInteger(long size, string unit)
    {
        public override string ToString() => $"an integer of {size} {unit}";
    }

    /// <summary>A bytes or bytearray value: a slice of the pickle.</summary>
    public sealed class Bytes(ReadOnlyMemory<byte> value)
    {
        public ReadOnlyMemory<byte> Value { get; } = value;
    }

    /// <summary>A Python set or frozenset, its items in pickle order (sets are inert here: nothing looks into them).</summary>
    public sealed class Set
    {
        private List<object?>? _items;
        public List<object?> Items => _items ??= [];
    }

    /// <summary>
    /// A Python dict (or OrderedDict), in insertion order. String keys are the pickle's interned strings: look one up
    /// with <see cref="Get"/> or <see cref="Contains"/>, which intern the name given.
    /// </summary>
    public sealed class Dict(TorchPickle owner)
    {
        private Dictionary<object, object?>? _items;
        public int Count => _items?.Count ?? 0;
        public IEnumerable<KeyValuePair<object?, object?>> Items =>
            _items?.Select(p => new KeyValuePair<object?, object?>(p.Key == NoneKey ? null : p.Key, p.Value)) ?? [];
        public IEnumerable<object?> Keys => Items.Select(p => p.Key);
        public IEnumerable<object?> Values => _items?.Values ?? Enumerable.Empty<object?>();

        public void Set(object? key, object? value) =>
            (_items ??= new Dictionary<object, object?>(KeyComparer.Instance))[key ?? NoneKey] = value;

        public bool Contains(string key) => owner.InternedOrNull(key) is { } k && _items is not null && _items.ContainsKey(k);

        public object? Get(string key) =>
            owner.InternedOrNull(key) is { } k && _items is not null && _items.TryGetValue(k, out var value) ? value : null;
    }

    private static readonly object NoneKey = new();

    /// <summary>Dict keys: strings by reference (they are interned), numbers by value with a seeded hash, the rest by reference.</summary>
    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();

        public new bool Equals(object? a, object? b) => ReferenceEquals(a, b) || (a, b) switch
        {
            (long x, long y) => x == y,
            (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
            (bool x, bool y) => x == y,
            _ => false,
        };

        // HashCode mixes with a seed drawn per process: a pickle cannot choose keys that collide.
        public int GetHashCode(object o) => o switch
        {
            long v => HashCode.Combine((int)v, (int)(v >> 32)),
            double d => HashCode.Combine((int)BitConverter.DoubleToInt64Bits(d), (int)(BitConverter.DoubleToInt64Bits(d) >> 32)),
            bool b => HashCode.Combine(b),
            _ => RuntimeHelpers.GetHashCode(o),
        };
    }

    private readonly byte[] _pickle;
    private int _at;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly List<object?> _memo = [];
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Func<object?, object> _persistentLoad;
    private readonly Func<Global, object?[], object?>? _construct;

    private TorchPickle(byte[] pickle, Func<object?, object> persistentLoad, Func<Global, object?[], object?>? construct)
    {
        _pickle = pickle;
        _persistentLoad = persistentLoad;
        _construct = construct;
    }

    /// <summary>
    /// The value the pickle builds. <paramref name="persistentLoad"/> resolves a persistent id (torch's storages);
    /// <paramref name="construct"/> builds what a call of a global makes, or returns null for a global it does not know.
    /// A damaged or refused pickle is a <see cref="Malformed"/>.
    /// </summary>
    public static object? Load(byte[] pickle, Func<object?, object> persistentLoad, Func<Global, object?[], object?>? construct = null) =>
        new TorchPickle(pickle, persistentLoad, construct).Run();

    private string? InternedOrNull(string text) => _strings.TryGetValue(text, out var interned) ? interned : null;

    private string Intern(string text)
    {
        if (_strings.TryGetValue(text, out var interned)) return interned;
        _strings[text] = text;
        return text;
    }

    private object? Run()
    {
        while (true)
        {
            if (_at >= _pickle.Length) throw new Malformed("ends without its STOP opcode");
            byte op = _pickle[_at++];
            switch (op)
            {
                case (byte)'.': return Pop();                                   // STOP
                case (byte)'(': _marks.Add(_stack.Count); break;                // MARK
                case (byte)'0':                                                 // POP
                    if (_stack.Count > Floor) _stack.RemoveAt(_stack.Count - 1);
                    else PopMark();
                    break;
                case (byte)'1': PopMark(); break;                               // POP_MARK
                case (byte)'2': Push(Peek()); break;                            // DUP
                case (byte)'N': Push(null); break;                              // NONE
                case 0x88: Push(true); break;                                   // NEWTRUE
                case 0x89: Push(false); break;                                  // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': Push((long)Take(1)[0]); break;                  // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(LittleEndianInteger(Take(Take(1)[0]))); break;  // LONG1
                case 0x8b: Push(LittleEndianInteger(Take(Length(4)))); break;   // LONG4
                case (byte)'I': Push(TextInteger(Line(intern: false), allowBool: true)); break; // INT
                case (byte)'L': Push(TextInteger(Line(intern: false).TrimEnd('L'), allowBool: false)); break; // LONG
                case (byte)'F':                                                 // FLOAT
                    string text = Line(intern: false);
                    Push(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                        ? value : throw new Malformed($"has FLOAT '{Shorten(text)}', which is not a number"));
                    break;
                case (byte)'G': Push(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Take(8)))); break; // BINFLOAT
                case (byte)'X': Push(Utf8(Take(Length(4)))); break;             // BINUNICODE
                case 0x8c: Push(Utf8(Take(Take(1)[0]))); break;                 // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(Take(Length(8)))); break;                  // BINUNICODE8
                case (byte)'T': Push(Latin1(Take(Length(4)))); break;           // BINSTRING (Python 2 str)
                case (byte)'U': Push(Latin1(Take(Take(1)[0]))); break;          // SHORT_BINSTRING
                case (byte)'B': Push(Slice(Length(4))); break;                  // BINBYTES
                case (byte)'C': Push(Slice(Take(1)[0])); break;                 // SHORT_BINBYTES
                case 0x8e: case 0x96: Push(Slice(Length(8))); break;            // BINBYTES8, BYTEARRAY8
                case (byte)')': Push(Array.Empty<object?>()); break;            // EMPTY_TUPLE
                case 0x85: Push(new[] { Pop() }); break;                        // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }              // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'t': Push(PopToMark().ToArray()); break;             // TUPLE
                case (byte)']': Push(new List<object?>()); break;               // EMPTY_LIST
                case (byte)'l': Push(PopToMark()); break;                       // LIST
                case (byte)'}': Push(new Dict(this)); break;                    // EMPTY_DICT
                case (byte)'d':                                                 // DICT
                {
                    var items = PopToMark();
                    var dict = new Dict(this);
                    SetItems(dict, items);
                    Push(dict);
                    break;
                }
                case 0x8f: Push(new Set()); break;                              // EMPTY_SET
                case 0x91: { var set = new Set(); set.Items.AddRange(PopToMark()); Push(set); break; } // FROZENSET
                case 0x90:                                                      // ADDITEMS
                {
                    var items = PopToMark();
                    (Peek() as Set ?? throw new Malformed("adds items to something that is not a set")).Items.AddRange(items);
                    break;
                }
                case (byte)'a': { var item = Pop(); ListOf(Peek()).Add(item); break; }        // APPEND
                case (byte)'e': { var items = PopToMark(); ListOf(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(DictOf(Peek()), [k, v]); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(); SetItems(DictOf(Peek()), items); break; }       // SETITEMS
                case (byte)'c':                                                 // GLOBAL
                {
                    string module = Line(), name = Line();
                    Push(new Global(module, name));
                    break;
                }
                case 0x93:                                                      // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw new Malformed("has STACK_GLOBAL with a name that is not a string");
                    var module = Pop() as string ?? throw new Malformed("has STACK_GLOBAL with a module that is not a string");
                    Push(new Global(module, name));
                    break;
                }
                case (byte)'R': case 0x81:                                      // REDUCE, NEWOBJ
                {
                    var args = Pop() as object?[] ?? throw new Malformed("calls something with arguments that are not a tuple");
                    Push(Call(Pop(), args));
                    break;
                }
                case 0x92:                                                      // NEWOBJ_EX
                {
                    if (Pop() is not Dict { Count: 0 }) throw new Malformed("calls something with keyword arguments, which torch.save never writes");
                    var args = Pop() as object?[] ?? throw new Malformed("calls something with arguments that are not a tuple");
                    Push(Call(Pop(), args));
                    break;
                }
                case (byte)'b':                                                 // BUILD
                {
                    var state = Pop();
                    switch (Peek())
                    {
                        case Instance instance: instance.State = state; break;
                        case Dict: break; // an OrderedDict's attributes (a state_dict's _metadata): nothing here reads them
                        case var other: throw new Malformed($"sets the state of {Describe(other)}, which takes none");
                    }
                    break;
                }
                case (byte)'Q': Push(_persistentLoad(Pop())); break;            // BINPERSID
                case (byte)'q': Put(Take(1)[0]); break;                         // BINPUT
                case (byte)'r': Put(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break; // LONG_BINPUT
                case (byte)'p': Put(TextIndex(Line(intern: false))); break;                  // PUT
                case 0x94: Put((uint)_memo.Count); break;                       // MEMOIZE
                case (byte)'h': Push(Get(Take(1)[0])); break;                   // BINGET
                case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                case (byte)'g': Push(Get(TextIndex(Line(intern: false)))); break;            // GET
                case 0x80:                                                      // PROTO
                    if (Take(1)[0] > 5) throw new Malformed($"is of pickle protocol {_pickle[_at - 1]}; this program reads protocols up to 5");
                    break;
                case 0x95: Take(8); break;                                      // FRAME: its length only groups opcodes
                case (byte)'P': case (byte)'S': case (byte)'V': case (byte)'i': case (byte)'o':
                    throw new Malformed($"uses opcode {OpName(op)} of pickle protocol 0 or 1, which torch.save does not write");
                case 0x82: case 0x83: case 0x84:
                    throw new Malformed("uses an extension code (copyreg), which torch.save does not write");
                case 0x97: case 0x98:
                    throw new Malformed("refers to out-of-band buffers (pickle protocol 5), which a file cannot hold");
                default:
                    throw new Malformed($"has byte 0x{op:x2} at offset {_at - 1}, which is not a pickle opcode");
            }
        }
    }

    // ---- the stack, its marks and the memo ----

    /// <summary>Where the items above the innermost mark begin: nothing below it may be popped except by that mark's opcode.</summary>
    private int Floor => _marks.Count > 0 ? _marks[^1] : 0;

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count <= Floor) throw new Malformed("pops more than it pushed");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek() => _stack.Count > Floor ? _stack[^1] : throw new Malformed("uses a value it never pushed");

    /// <summary>The items above the innermost mark, in order, and the mark removed: O(items).</summary>
    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw new Malformed("closes a MARK it never opened");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void PopMark()
    {
        if (_marks.Count == 0) throw new Malformed("pops a MARK it never opened");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
    }

    private void Put(uint index)
    {
        if (index == _memo.Count) _memo.Add(Peek());
        else if (index < _memo.Count) _memo[(int)index] = Peek();
        // Picklers number the memo 0, 1, 2, …: a gap has no use but to spread keys.
        else throw new Malformed($"stores memo entry {index} where the next is {_memo.Count}");
    }

    private object? Get(uint index) =>
        index < _memo.Count ? _memo[(int)index] : throw new Malformed($"reads memo entry {index}, which it never stored");

    // ---- containers ----

    private static List<object?> ListOf(object? target) => target switch
    {
        List<object?> list => list,
        Instance instance => instance.List ??= [],
        _ => throw new Malformed($"appends to {Describe(target)}, which is not a list"),
    };

    private Dict DictOf(object? target) => target switch
    {
        Dict dict => dict,
        Instance instance => instance.Items ??= new Dict(this),
        _ => throw new Malformed($"sets an item of {Describe(target)}, which is not a dict"),
    };

    private static void SetItems(Dict dict, List<object?> keysAndValues)
    {
        if (keysAndValues.Count % 2 != 0) throw new Malformed("sets a dict item without a value");
        for (int i = 0; i < keysAndValues.Count; i += 2) dict.Set(keysAndValues[i], keysAndValues[i + 1]);
    }

    // ---- calls ----

    /// <summary>
    /// What calling <paramref name="callable"/> with <paramref name="args"/> makes, with nothing run: a tensor (the
    /// caller's <see cref="_construct"/>), an OrderedDict, an inert object of a harmless class, or a refusal.
    /// </summary>
    private object? Call(object? callable, object?[] args)
    {
        if (callable is not Global global) throw new Malformed($"calls {Describe(callable)}, which is not a global");
        if (_construct?.Invoke(global, args) is { } built) return built;
        if (global.Is("collections", "OrderedDict") || global.Is("builtins", "dict") || global.Is("__builtin__", "dict"))
            // torch.save calls OrderedDict(); PyBridge's pickler OrderedDict(()). Items come by SETITEMS, in O(1) each.
            return args is [] or [object?[] { Length: 0 }] or [List<object?> { Count: 0 }] ? new Dict(this)
                : throw new Malformed($"calls {global} with items as arguments, which torch.save never writes");
        // A class called without arguments is an object of that class whose state BUILD or SETITEMS fill in
        // (argparse.Namespace, Lightning's AttributeDict): inert here, as Razorvine made it.
        if (args.Length == 0) return new Instance(global);
        if (Harmless(global)) return new Instance(global) { Arguments = args };
        throw new Malformed($"calls {global}, which is neither a tensor nor a container; refused without running it");
    }

    /// <summary>Constructors of plain data that checkpoints hold beside their tensors; their values are kept inert (no copy, no call).</summary>
    private static bool Harmless(Global g) => g.Module switch
    {
        "builtins" or "__builtin__" => g.Name is "set" or "frozenset" or "bytes" or "bytearray" or "complex" or "slice" or "range",
        "_codecs" => g.Name == "encode",
        "collections" => g.Name == "defaultdict",
        "datetime" => g.Name is "datetime" or "date" or "time" or "timedelta" or "timezone",
        "decimal" => g.Name == "Decimal",
        "numpy" => g.Name == "dtype",
        "numpy.core.multiarray" or "numpy._core.multiarray" => g.Name is "scalar" or "_reconstruct",
        "pathlib" => g.Name is "PosixPath" or "WindowsPath" or "Path",
        "torch" => g.Name is "device" or "Size",
        "torch.torch_version" => g.Name == "TorchVersion",
        "copy_reg" or "copyreg" => g.Name == "_reconstructor",
        _ => false,
    };

    // ---- reading the pickle's bytes ----

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _pickle.Length - _at) throw new Malformed($"declares {count} bytes at offset {_at}, past its end");
        var span = _pickle.AsSpan(_at, count);
        _at += count;
        return span;
    }

    private Bytes Slice(int count)
    {
        Take(count);
        return new Bytes(_pickle.AsMemory(_at - count, count));
    }

    /// <summary>A length of <paramref name="size"/> bytes, little-endian; one that exceeds the rest of the pickle is refused before anything is allocated.</summary>
    private int Length(int size)
    {
        var bytes = Take(size);
        ulong length = size == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (length > (ulong)(_pickle.Length - _at)) throw new Malformed($"declares {length} bytes at offset {_at}, past its end");
        return (int)length;
    }

    private string Line(bool intern = true)
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _at);
        if (end < 0) throw new Malformed($"has a line at offset {_at} that never ends");
        string line = Encoding.UTF8.GetString(_pickle, _at, end - _at);
        _at = end + 1;
        return intern ? Intern(line) : line;
    }

    private string Utf8(ReadOnlySpan<byte> bytes)
    {
        try { return Intern(Strict.GetString(bytes)); }
        catch (DecoderFallbackException) { throw new Malformed($"has a string before offset {_at} that is not UTF-8"); }
    }

    private string Latin1(ReadOnlySpan<byte> bytes) => Intern(Encoding.Latin1.GetString(bytes));

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Two's complement, little-endian: a long when it fits in 8 bytes, else a <see cref="HugeInteger"/> (never parsed).</summary>
    private static object LittleEndianInteger(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8) return new HugeInteger(bytes.Length, "bytes");
        if (bytes.Length == 0) return 0L;
        long value = (sbyte)bytes[^1]; // the sign comes from the top byte
        for (int i = bytes.Length - 2; i >= 0; i--) value = (value << 8) | bytes[i];
        return value;
    }

    private static object TextInteger(string text, bool allowBool)
    {
        if (allowBool && text is "00" or "01") return text == "01";
        string digits = text.TrimStart('-', '+');
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) throw new Malformed($"has INT '{Shorten(text)}', which is not an integer");
        // 19 digits always fit in a long; a longer one is not parsed (decimal parsing is quadratic in the digits).
        if (digits.Length <= 19 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)) return value;
        return new HugeInteger(digits.Length, "digits");
    }

    private static uint TextIndex(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint index) ? index : throw new Malformed($"has a memo index '{Shorten(text)}' that is not one");

    // ---- words ----

    /// <summary>What a value is, in a few words for an error message.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        Instance i => $"an object of {i.Type}",
        Global g => $"the global {g}",
        string => "a string",
        bool => "a bool",
        long => "an integer",
        double => "a float",
        HugeInteger h => h.ToString(),
        Bytes => "bytes",
        object?[] => "a tuple",
        List<object?> => "a list",
        Dict => "a dict",
        Set => "a set",
        _ => $"a {value.GetType().Name}",
    };

    /// <summary>At most 80 characters of a name from a file, control characters as '?': a message about it stays one line.</summary>
    public static string Shorten(string text)
    {
        string shown = text.Length <= 80 ? text : text[..77] + "...";
        return shown.Any(char.IsControl) ? string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c)) : shown;
    }

    private static string OpName(byte op) => op switch
    {
        (byte)'P' => "PERSID",
        (byte)'S' => "STRING",
        (byte)'V' => "UNICODE",
        (byte)'i' => "INST",
        _ => "OBJ",
    };
}
