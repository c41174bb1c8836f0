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

    /// <summary>
    /// The authors' published schemes (the CIFAR-10 table of the paper's appendix and their released tables), in
    /// published.json's order, named "dataset/N_act/N" (e.g. "cifar10/5/10", "imagenet/16/32"; variants carry a suffix,
    /// "imagenet/8/32_D8"): the names architectures use.
    /// </summary>
    public static IReadOnlyList<CodingScheme> Published => BuiltInSchemes.All;

    /// <summary>Whether this is one of the <see cref="Published"/> schemes the paper's networks (Table 1) use, e.g. cifar10/5/10.</summary>
    public bool UsedInPaperArchitecture => BuiltInSchemes.UsedInPaperArchitecture(Name) && BuiltInSchemes.TryGet(Name, out var published) && ReferenceEquals(published, this);

    /// <summary>
    /// Reads and validates a scheme file (JSON shaped like one entry of the authors' published.json: "codewords" and,
    /// optionally, a name and numbers that must agree with them); a file without "name" is named after the file. An
    /// <see cref="InvalidInputException"/> naming the file otherwise. An architecture names such a scheme by its path.
    /// </summary>
    /// <param name="path">the scheme file</param>
    public static CodingScheme Load(string path) => CodingSchemeFile.Load(path);

    /// <summary>Writes the scheme file <see cref="Load"/> reads (its codewords and metrics), replacing any file there, creating the folder when needed.</summary>
    /// <param name="path">the .json file to write</param>
    public void Save(string path) => CodingSchemeFile.Save(this, path);

    /// <summary>The text of the scheme file <see cref="Save"/> writes.</summary>
    public string ToJson() => CodingSchemeFile.ToJson(this);

    /// <summary>
    /// Generates a scheme of <paramref name="classes"/> codewords of length <paramref name="subNNs"/> with
    /// <paramref name="active"/> ones each, by the algorithm of the paper's appendix (docs/method.md#coding-schemes): words
    /// packed at distance at least H_min in increasing order, then K of them with column sums as equal as possible; the
    /// same arguments always give the same scheme. An <see cref="InvalidInputException"/> when the request is out of range
    /// (K &lt; 2, N outside 2..64, N_act outside 1..N), impossible, or cannot be packed at the asked distance.
    /// </summary>
    /// <param name="classes">K, the number of codewords</param>
    /// <param name="subNNs">N, the codeword length, 2..64</param>
    /// <param name="active">N_act, the ones in every codeword</param>
    /// <param name="minDistance">H_min to enforce; null: the largest at which the packing keeps K words</param>
    /// <param name="seed">seeds the randomized picks</param>
    /// <param name="name">the scheme's name (null: "N_act/N")</param>
    /// <param name="progress">the packing's progress (its first step, which can take long for long words): the minimum
    /// distance it packs for, the share of all words of the weight passed so far in increasing order (in [0, 1]; one that
    /// grows slowly means the search is out of reach), and the words kept so far</param>
    /// <param name="cancellationToken">stops the search</param>
    public static GeneratedCodingScheme Generate(int classes, int subNNs, int active, int? minDistance = null, int seed = 0, string? name = null,
        IProgress<(int Distance, double Fraction, int Kept)>? progress = null, CancellationToken cancellationToken = default) =>
        CodingSchemeGenerator.Generate(new CodingSchemeRequest(classes, subNNs, active, minDistance, seed, Name: name), cancellationToken, progress);

    // The distances and column sums, computed once (quadratic in K).
    private CodingSchemeMetrics? _metrics;
    private CodingSchemeMetrics Metrics => _metrics ??= CodingSchemeMetrics.Of(this);

    /// <summary>
    /// H_min, the smallest Hamming distance between two codewords (rule B of docs/method.md#coding-schemes); null for a
    /// single class. Computing it compares every pair: a scheme of more than 16,384 classes is an <see cref="InvalidInputException"/>.
    /// </summary>
    public int? MinHamming => Metrics.MinHamming;
    /// <summary>The number of codeword pairs at each distance that occurs, by increasing distance.</summary>
    public IReadOnlyDictionary<int, int> DistanceHistogram => Metrics.DistanceHistogram;
    /// <summary>S_n for n = 0..N-1: the number of classes subNN n works for (rule C).</summary>
    public IReadOnlyList<int> ColumnSums => Metrics.ColumnSums;
    /// <summary>The fewest classes any subNN works for.</summary>
    public int MinColumnSum => Metrics.MinColumnSum;
    /// <summary>The most classes any subNN works for.</summary>
    public int MaxColumnSum => Metrics.MaxColumnSum;
    /// <summary>
    /// Whether the column sums are as equal as they can be: all equal when r*K is an integer, otherwise
    /// S_max - S_min = 1 (the K*N_act ones cannot be spread more evenly over N columns).
    /// </summary>
    public bool PerfectlyBalanced => Metrics.PerfectlyBalanced;

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
