namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// A coding scheme (docs/method.md#coding-schemes): one binary codeword of length N per class, each with exactly
/// N_act ones. Digit n of class k's codeword says whether subNN n carries information for class k.
/// </summary>
public sealed class CodingScheme
{
    private readonly bool[][] _codewords;

    /// <summary>
    /// A scheme of the given codewords (copied), one per class in class order. Throws <see cref="InvalidInputException"/>
    /// unless there is at least one, all have the same length and the same number of ones (rule A, at least one), and no two are equal.
    /// </summary>
    /// <param name="name">how the scheme is named in architectures and error messages, e.g. "cifar10/5/10"</param>
    /// <param name="codewords">per class, N digits (true = subNN active for the class)</param>
    public CodingScheme(string name, IReadOnlyList<bool[]> codewords)
        : this(name, codewords, $"coding scheme '{name}'")
    {
    }

    /// <summary>A validated scheme, as the public constructor makes, whose error messages start with <paramref name="where"/>.</summary>
    /// <param name="name">how the scheme is named in architectures and error messages</param>
    /// <param name="codewords">per class, N digits (true = subNN active for the class); copied</param>
    /// <param name="where">Starts every error message: the scheme's name, or the file it came from.</param>
    internal CodingScheme(string name, IReadOnlyList<bool[]> codewords, string where)
    {
        if (codewords.Count == 0) throw new InvalidInputException($"{where}: it has no codewords");
        Name = name;
        SubNNs = codewords[0].Length;
        Active = codewords[0].Count(b => b);
        for (int k = 0; k < codewords.Count; k++)
        {
            if (codewords[k].Length != SubNNs)
                throw new InvalidInputException($"{where}: codeword of class {k} has length {codewords[k].Length}, expected {SubNNs}");
            int ones = codewords[k].Count(b => b);
            if (ones != Active) // rule A
                throw new InvalidInputException($"{where}: codeword of class {k} has {ones} ones, expected {Active} like class 0 (rule A: every codeword has exactly N_act ones)");
        }
        if (Active == 0) throw new InvalidInputException($"{where}: codewords have no ones");
        var seen = new Dictionary<string, int>();
        for (int k = 0; k < codewords.Count; k++)
        {
            string word = Format(codewords[k]);
            if (seen.TryGetValue(word, out int other))
                throw new InvalidInputException($"{where}: classes {other} and {k} share the codeword {word}");
            seen[word] = k;
        }
        _codewords = codewords.Select(w => (bool[])w.Clone()).ToArray();
    }

    /// <summary>The name architectures use to refer to the scheme, e.g. "cifar10/5/10".</summary>
    public string Name { get; }
    /// <summary>K, the number of classes.</summary>
    public int Classes => _codewords.Length;
    /// <summary>N, the number of subNNs (codeword length).</summary>
    public int SubNNs { get; }
    /// <summary>N_act, the number of ones in every codeword.</summary>
    public int Active { get; }
    /// <summary>r = N_act / N.</summary>
    public double Ratio => (double)Active / SubNNs;

    /// <summary>Whether subNN <paramref name="subNN"/> works for class <paramref name="cls"/>.</summary>
    public bool IsActive(int cls, int subNN) => _codewords[cls][subNN];

    /// <summary>A copy of class <paramref name="cls"/>'s codeword, N digits (true = active).</summary>
    public bool[] Codeword(int cls) => (bool[])_codewords[cls].Clone();

    /// <summary>
    /// Every class's codeword restricted to <paramref name="subNNs"/> (original subNN indices, in the block's order),
    /// row-major [K, subNNs.Count]: the matrix a block's coding loss and early decoder compare energies with.
    /// </summary>
    public bool[] CodewordMatrix(IReadOnlyList<int> subNNs)
    {
        var digits = new bool[Classes * subNNs.Count];
        for (int k = 0; k < Classes; k++)
            for (int n = 0; n < subNNs.Count; n++) digits[k * subNNs.Count + n] = _codewords[k][subNNs[n]];
        return digits;
    }

    /// <summary>
    /// Throws unless the scheme has one codeword per class of a dataset with <paramref name="classes"/> classes.
    /// </summary>
    public void RequireClasses(int classes)
    {
        if (Classes != classes)
            throw new InvalidInputException($"scheme '{Name}' has {Classes} codewords but the dataset has {classes} classes");
    }

    /// <summary>Parses codewords written as '0101…' strings, one per class in class order.</summary>
    public static CodingScheme Parse(string name, IEnumerable<string> codewords) =>
        Parse(name, codewords, $"coding scheme '{name}'");

    internal static CodingScheme Parse(string name, IEnumerable<string> codewords, string where) =>
        new(name, codewords.Select((w, k) => ParseCodeword(where, k, w)).ToList(), where);

    /// <summary>Every codeword as a '0101…' string, in class order (the form <see cref="Parse(string, IEnumerable{string})"/> reads).</summary>
    public IReadOnlyList<string> ToStrings() => _codewords.Select(Format).ToList();

    /// <summary><paramref name="codeword"/> as a string of '0' and '1', subNN 0 first.</summary>
    public static string Format(bool[] codeword) => new(codeword.Select(b => b ? '1' : '0').ToArray());

    private static bool[] ParseCodeword(string where, int cls, string word)
    {
        var bits = new bool[word.Length];
        for (int i = 0; i < word.Length; i++)
        {
            bits[i] = word[i] switch
            {
                '1' => true,
                '0' => false,
                _ => throw new InvalidInputException($"{where}: codeword of class {cls} \"{word}\" has '{word[i]}' at position {i}; only '0' and '1' are allowed"),
            };
        }
        return bits;
    }
}
