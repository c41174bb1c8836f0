using System.Xml.Linq;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>
/// The repository's packages, packed once for the packaging tests into a temporary feed from the build these tests
/// run from. Each run packs them under a version of its own (the repository's version with a unique prerelease
/// suffix): NuGet never replaces a version it has already extracted into the user's package cache, so a fixed
/// version would let a later run test an earlier run's package. On dispose the feed is deleted, and so is what a
/// restore extracted of this version into the cache; nothing else of the cache is touched.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    public static readonly TimeSpan Slow = TimeSpan.FromMinutes(15);

    public PackedPackages()
    {
        Repository = FindRepository();
        // The tests run from tests/CodedResNeXt.Tests/bin/<Configuration>/<framework>/: pack that configuration.
        Configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        Version = PropertyOf(Path.Combine(Repository, "Directory.Build.props"), "Version");
        PackageVersion = $"{Version}-packtest.{Guid.NewGuid():N}"[..(Version.Length + 18)];
        Directory.CreateDirectory(Work);
        Directory.CreateDirectory(Feed);
        GlobalPackages = Dotnet.Sdk(Work, TimeSpan.FromMinutes(2), "nuget", "locals", "global-packages", "--list")
            .Trim().Split(':', 2)[1].Trim();

        // The core and the lab as the tests' build left them; crx builds its linux-x64 tool (the only part not built yet).
        foreach (var (project, noBuild) in new[] { ("src/CodedResNeXt", true), ("src/CodedResNeXt.Lab", true), ("src/Crx", false) })
        {
            var args = new List<string> { "pack", Path.Combine(Repository, project), "-c", Configuration, "-o", Feed,
                $"-p:PackageVersion={PackageVersion}", "--no-restore", "-nologo", "-v", "quiet", "-clp:ErrorsOnly", "-nodeReuse:false" };
            if (noBuild) args.Add("--no-build");
            var (code, output, error) = Dotnet.Run(Dotnet.Host, Work, Slow, args.ToArray());
            if (code != 0) PackFailure ??= $"dotnet pack {project} exited with {code}:\n{Dotnet.Tail(output)}\n{Dotnet.Tail(error)}";
        }
    }

    /// <summary>The clone these tests were built from (the folder holding CodedResNeXt.slnx).</summary>
    public string Repository { get; }
    public string Configuration { get; }
    /// <summary>The version every project has (Directory.Build.props), which the assemblies and crx --version carry.</summary>
    public string Version { get; }
    /// <summary>This run's package version.</summary>
    public string PackageVersion { get; }
    public string Work { get; } = Path.Combine(Path.GetTempPath(), "crx-packaging-" + Guid.NewGuid().ToString("N")[..10]);
    public string Feed => Path.Combine(Work, "feed");
    /// <summary>The user's NuGet package cache, where the packages' own dependencies already are.</summary>
    public string GlobalPackages { get; }
    /// <summary>What went wrong packing, if something did.</summary>
    public string? PackFailure { get; private set; }

    /// <summary>A NuGet.config that sees only the feed and the packages already in the user's cache: restores never go online.</summary>
    public string WriteOfflineNuGetConfig(string directory)
    {
        string path = Path.Combine(directory, "nuget.config");
        new XDocument(new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "packed"), new XAttribute("value", Feed)),
                new XElement("add", new XAttribute("key", "cache"), new XAttribute("value", GlobalPackages))))).Save(path);
        return path;
    }

    /// <summary>The value of a property set in an MSBuild file of the repository (Directory.Build.props, …).</summary>
    public static string PropertyOf(string file, string property) =>
        XDocument.Load(file).Descendants(property).Single().Value;

    /// <summary>The version Directory.Packages.props gives a package.</summary>
    public string CentralVersionOf(string package) =>
        XDocument.Load(Path.Combine(Repository, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;

    public void Dispose()
    {
        foreach (string id in new[] { "codedresnext", "codedresnext.lab", "crx", "crx.linux-x64" })
        {
            string extracted = Path.Combine(GlobalPackages, id, PackageVersion.ToLowerInvariant());
            if (Directory.Exists(extracted)) Directory.Delete(extracted, recursive: true);
            string versions = Path.GetDirectoryName(extracted)!;
            // The id's folder too when nothing else is in it (another run may be using it: then it stays).
            try { if (Directory.Exists(versions) && !Directory.EnumerateFileSystemEntries(versions).Any()) Directory.Delete(versions); }
            catch (IOException) { }
        }
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
