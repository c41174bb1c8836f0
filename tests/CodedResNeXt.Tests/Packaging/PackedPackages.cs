using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>
/// The repository's packages, made and installed as README.md ("Use it from C#") tells a user to: its installation
/// blocks (each a fenced bash block after an <c>&lt;!-- install: NAME --&gt;</c> comment) run line for line, unchanged,
/// through bash, in a temporary HOME. The "pack" block runs here, once for the packaging tests, in a copy of the
/// repository's sources (a fresh clone: no build output); the tests run the others. The HOME holds a NuGet.Config that
/// sees only the packages already in the user's cache (nothing goes online; the README's lines add their folder to it),
/// and NuGet's package folder and the global tools of `dotnet tool install -g` go there too: nothing outside the
/// temporary folder changes, and no package of an earlier run (the version is always the repository's) is taken for
/// this run's. On dispose the folder is deleted.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    public static readonly TimeSpan Slow = TimeSpan.FromMinutes(15);

    /// <summary>The key of the offline configuration's one source, the user's package cache.</summary>
    private const string CacheSource = "user-cache";

    public PackedPackages()
    {
        Repository = FindRepository();
        // The tests run from tests/CodedResNeXt.Tests/bin/<Configuration>/<framework>/: the in-repository builds use it.
        Configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        Version = PropertyOf(Path.Combine(Repository, "Directory.Build.props"), "Version");
        Directory.CreateDirectory(Work);
        GlobalPackages = Dotnet.Sdk(Work, TimeSpan.FromMinutes(2), "nuget", "locals", "global-packages", "--list")
            .Trim().Split(':', 2)[1].Trim();

        Directory.CreateDirectory(Home);
        string config = Path.Combine(Home, ".nuget", "NuGet", "NuGet.Config");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", CacheSource), new XAttribute("value", GlobalPackages))))).Save(config);
        CopySources(Repository, Clone);

        var (code, output, error) = RunReadmeBlock("pack", Clone);
        if (code != 0)
        {
            PackFailure = $"README.md's pack block exited with {code}:\n{Dotnet.Tail(output)}\n{Dotnet.Tail(error)}";
            return;
        }
        // The package folder is the source the README's lines added to the user's NuGet.Config.
        var added = XDocument.Load(config).Descendants("add").Where(a => (string?)a.Attribute("key") != CacheSource)
            .Select(a => (string)a.Attribute("value")!).ToList();
        if (added.Count != 1 || !Directory.Exists(added[0]))
            PackFailure = $"README.md's pack block should add one existing folder as a package source; the sources it added: [{string.Join(", ", added)}]";
        else
            Feed = added[0];
    }

    /// <summary>The clone these tests were built from (the folder holding CodedResNeXt.slnx).</summary>
    public string Repository { get; }
    /// <summary>The configuration the tests were built in.</summary>
    public string Configuration { get; }
    /// <summary>The version every project has (Directory.Build.props): the packages', and what crx --version prints.</summary>
    public string Version { get; }
    public string Work { get; } = Path.Combine(Path.GetTempPath(), "crx-packaging-" + Guid.NewGuid().ToString("N")[..10]);
    /// <summary>The user's home while the README's lines run.</summary>
    public string Home => Path.Combine(Work, "home");
    /// <summary>The copy of the repository's sources the README's pack block runs in.</summary>
    public string Clone => Path.Combine(Work, "clone");
    /// <summary>The folder the README's lines packed the packages into.</summary>
    public string Feed { get; } = "";
    /// <summary>The user's NuGet package cache, where the packages' own dependencies already are.</summary>
    public string GlobalPackages { get; }
    /// <summary>What went wrong packing, if something did.</summary>
    public string? PackFailure { get; }

    /// <summary>The environment of a user whose home is <see cref="Home"/>, with the SDK running these tests first on the PATH.</summary>
    public IReadOnlyDictionary<string, string?> HomeEnvironment()
    {
        // Global tools of the real home must not answer for the ones installed here.
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.TrimEnd('/').EndsWith("/.dotnet/tools")).ToList();
        if (Path.IsPathRooted(Dotnet.Host)) path.Insert(0, Path.GetDirectoryName(Dotnet.Host)!);
        return new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["DOTNET_CLI_HOME"] = Home,
            ["PATH"] = string.Join(':', path),
            // NuGet's package folder is the home's (~/.nuget/packages), not one the environment names.
            ["NUGET_PACKAGES"] = null,
        };
    }

    /// <summary>The lines of README.md's fenced bash block after <c>&lt;!-- install: {name} --&gt;</c>.</summary>
    public string ReadmeBlock(string name)
    {
        string readme = File.ReadAllText(Path.Combine(Repository, "README.md")).ReplaceLineEndings("\n");
        var block = Regex.Match(readme, $@"^<!-- install: {Regex.Escape(name)} -->\n```bash\n(.*?)^```",
            RegexOptions.Multiline | RegexOptions.Singleline);
        if (!block.Success) throw new InvalidOperationException($"README.md has no bash block after <!-- install: {name} -->");
        return block.Groups[1].Value;
    }

    /// <summary>
    /// Runs the README's installation block <paramref name="name"/> in <paramref name="workingDirectory"/> through bash, as
    /// the user of <see cref="Home"/>: line after line, stopping at the first that fails (each line is echoed on standard
    /// error before it runs).
    /// </summary>
    public (int Code, string Output, string Error) RunReadmeBlock(string name, string workingDirectory) =>
        Dotnet.Run("bash", workingDirectory, Slow, HomeEnvironment(), "-e", "-o", "pipefail", "-x", "-c", ReadmeBlock(name));

    /// <summary>Runs <paramref name="file"/> as the user of <see cref="Home"/>.</summary>
    public (int Code, string Output, string Error) RunAtHome(string file, string workingDirectory, params string[] args) =>
        Dotnet.Run(file, workingDirectory, Slow, HomeEnvironment(), args);

    /// <summary>
    /// What a clone has that the packages are made of: the files at the root (Directory.Build.*, README.md, …), src/ and
    /// build/, without build output (bin/, obj/).
    /// </summary>
    private static void CopySources(string repository, string clone)
    {
        Directory.CreateDirectory(clone);
        foreach (string file in Directory.GetFiles(repository))
            File.Copy(file, Path.Combine(clone, Path.GetFileName(file)));
        foreach (string folder in new[] { "src", "build" })
            CopyFolder(Path.Combine(repository, folder), Path.Combine(clone, folder));

        static void CopyFolder(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            foreach (string sub in Directory.GetDirectories(from))
                if (Path.GetFileName(sub) is not ("bin" or "obj"))
                    CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }

    /// <summary>The value of a property set in an MSBuild file of the repository (Directory.Build.props, …).</summary>
    public static string PropertyOf(string file, string property) =>
        XDocument.Load(file).Descendants(property).Single().Value;

    public void Dispose()
    {
        if (Directory.Exists(Work)) Directory.Delete(Work, recursive: true);
    }

    /// <summary>The clone these tests were built from: the folder above them holding CodedResNeXt.slnx.</summary>
    public static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CodedResNeXt.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no CodedResNeXt.slnx above {AppContext.BaseDirectory}");
    }
}
