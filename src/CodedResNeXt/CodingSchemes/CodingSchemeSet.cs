namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// The coding schemes that architectures name, looked up by name. Two sources exist: the built-in schemes and
/// scheme files (<see cref="BuiltInsAndFiles"/>), used when an architecture is first built, and the codewords a
/// model file stores (<see cref="FromCodewords"/>), so that a trained network is rebuilt with exactly the codes
/// it was trained with. Each name is resolved once.
/// </summary>
internal sealed class CodingSchemeSet
{
    private readonly Func<string, CodingScheme> _resolve;
    private readonly Dictionary<string, CodingScheme> _resolved = [];

    private CodingSchemeSet(Func<string, CodingScheme> resolve) => _resolve = resolve;

    /// <summary>Built-in scheme names (cifar10/5/10, …) and paths of scheme files.</summary>
    public static CodingSchemeSet BuiltInsAndFiles { get; } = new(CodingSchemeFile.Resolve);

    /// <summary>Schemes given by their codewords ("0110…" strings) by name, as model files store them.</summary>
    /// <param name="codewords">per scheme name, its codewords as '0110…' strings in class order</param>
    /// <param name="owner">what holds them ("the checkpoint"), for the error when a name is missing</param>
    public static CodingSchemeSet FromCodewords(IReadOnlyDictionary<string, IReadOnlyList<string>> codewords, string owner)
    {
        var parsed = codewords.ToDictionary(s => s.Key, s => CodingScheme.Parse(s.Key, s.Value));
        return new CodingSchemeSet(name => parsed.TryGetValue(name, out var scheme)
            ? scheme
            : throw new InvalidInputException($"{owner} has no coding scheme '{name}'"));
    }

    /// <summary>Schemes given as objects, by their names.</summary>
    public static CodingSchemeSet Of(params CodingScheme[] schemes)
    {
        var byName = schemes.ToDictionary(s => s.Name);
        return new CodingSchemeSet(name => byName.TryGetValue(name, out var scheme)
            ? scheme
            : throw new InvalidInputException($"unknown coding scheme '{name}'"));
    }

    /// <summary>
    /// Schemes made in code, by their names, and otherwise the built-in ones and scheme files
    /// (<see cref="BuiltInsAndFiles"/> itself when none is given).
    /// </summary>
    /// <param name="schemes">the schemes made in code (null or empty: none)</param>
    internal static CodingSchemeSet With(IReadOnlyList<CodingScheme>? schemes)
    {
        if (schemes is null || schemes.Count == 0) return BuiltInsAndFiles;
        var byName = new Dictionary<string, CodingScheme>();
        foreach (var scheme in schemes)
            if (!byName.TryAdd(scheme.Name, scheme))
                throw new InvalidInputException($"two coding schemes are named '{scheme.Name}'");
        return new CodingSchemeSet(name => byName.TryGetValue(name, out var scheme) ? scheme : BuiltInsAndFiles[name]);
    }

    /// <summary>The scheme called <paramref name="name"/>; an unknown name is an <see cref="InvalidInputException"/>.</summary>
    public CodingScheme this[string name]
    {
        get
        {
            lock (_resolved)
            {
                if (!_resolved.TryGetValue(name, out var scheme)) _resolved[name] = scheme = _resolve(name);
                return scheme;
            }
        }
    }
}
