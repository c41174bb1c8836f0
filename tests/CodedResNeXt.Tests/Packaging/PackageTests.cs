using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>
/// What a user gets who follows README.md: the packages packed by its lines (<see cref="PackedPackages"/>) carry what they
/// should; crx, installed by its lines as a global tool, runs and trains; a fresh project made by its lines builds without
/// a warning and runs the repository's sample with the same output as the sample built inside the repository. On
/// Debian 12 both also prove the GLIBCXX fix holds outside the repository (without it libtorch's glue does not load there).
/// </summary>
public sealed class PackageTests(PackedPackages packed) : IClassFixture<PackedPackages>
{
    private static readonly TimeSpan Slow = PackedPackages.Slow;

    [Fact]
    public void The_packages_carry_their_metadata_the_readme_the_xml_docs_and_the_glibcxx_fix()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        using var core = ZipFile.OpenRead(Path.Combine(packed.Feed, $"CodedResNeXt.{packed.Version}.nupkg"));
        var names = core.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", names);
        Assert.Contains("lib/net10.0/CodedResNeXt.xml", names);
        Assert.Contains("buildTransitive/CodedResNeXt.targets", names);
        // One source of truth: the packed targets file is the one the repository's build imports.
        using (var reader = new StreamReader(core.GetEntry("buildTransitive/CodedResNeXt.targets")!.Open()))
            Assert.Equal(File.ReadAllText(Path.Combine(packed.Repository, "build", "LibTorchSharpGlibcxxFix.targets")), reader.ReadToEnd());

        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        XElement metadata;
        using (var nuspec = core.GetEntry("CodedResNeXt.nuspec")!.Open())
            metadata = XDocument.Load(nuspec).Root!.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.StartsWith("https://", metadata.Element(ns + "repository")!.Attribute("url")!.Value);
        Assert.NotEmpty(metadata.Element(ns + "description")!.Value);
        Assert.Contains("coded-resnext", metadata.Element(ns + "tags")!.Value.Split(' '));
        // The core is a library: it leaves the choice of the native backend to the application.
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", dependencies);
        Assert.DoesNotContain("ScottPlot", dependencies);

        Assert.True(File.Exists(Path.Combine(packed.Feed, $"CodedResNeXt.Lab.{packed.Version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(packed.Feed, $"crx.{packed.Version}.nupkg")));
    }

    [Fact]
    public void The_tool_package_carries_what_crx_loads_on_linux_x64_and_no_more()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        using var tool = ZipFile.OpenRead(Path.Combine(packed.Feed, $"crx.linux-x64.{packed.Version}.nupkg"));
        var files = tool.Entries.Where(e => e.FullName.StartsWith("tools/net10.0/linux-x64/")).ToList();
        Assert.Contains(files, e => e.Name == "libtorch_cpu.so");
        Assert.Contains(files, e => e.Name == "libLibTorchSharp.so");
        Assert.Contains(files, e => e.Name == "libonnxruntime.so");

        // Every .dll is a .NET assembly (no Windows library such as onnxruntime.dll), nothing is for macOS, and every
        // native library is an x86-64 ELF.
        var notManaged = files.Where(e => e.Name.EndsWith(".dll") && !IsManaged(e)).Select(e => e.FullName).ToList();
        Assert.True(notManaged.Count == 0, "native Windows libraries: " + string.Join(", ", notManaged));
        Assert.DoesNotContain(files, e => e.Name.EndsWith(".dylib"));
        var natives = files.Where(e => Regex.IsMatch(e.Name, @"\.so(\.\d+)*$")).ToList();
        var notLinuxX64 = natives.Where(e => !IsElfX64(e)).Select(e => e.FullName).ToList();
        Assert.True(notLinuxX64.Count == 0, "not x86-64 ELF: " + string.Join(", ", notLinuxX64));

        // libtorch's Python binding (and the two libraries there for it), and libtorch's test libraries: crx never loads them.
        string[] unloaded = ["libtorch_python.so", "libshm.so", "libnnapi_backend.so", "libtorchbind_test.so",
            "libjitbackend_test.so", "libbackend_with_compiler.so", "libaoti_custom_ops.so"];
        var present = natives.Select(e => e.Name).Where(n => unloaded.Contains(n) || n.EndsWith("_test.so")).ToList();
        Assert.True(present.Count == 0, "libraries crx never loads: " + string.Join(", ", present));

        // crx.deps.json names no native library the package lacks.
        using var deps = JsonDocument.Parse(files.Single(e => e.Name == "crx.deps.json").Open());
        var named = deps.RootElement.GetProperty("targets").EnumerateObject()
            .SelectMany(t => t.Value.EnumerateObject())
            .SelectMany(library => library.Value.TryGetProperty("native", out var native) ? native.EnumerateObject().Select(n => Path.GetFileName(n.Name)) : [])
            .ToList();
        Assert.Contains("libtorch_cpu.so", named);
        var missing = named.Where(n => !files.Any(e => e.Name == n)).ToList();
        Assert.True(missing.Count == 0, "crx.deps.json names what the package lacks: " + string.Join(", ", missing));
    }

    private static bool IsManaged(ZipArchiveEntry entry)
    {
        using var bytes = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(bytes);
        bytes.Position = 0;
        using var pe = new PEReader(bytes);
        return pe.HasMetadata;
    }

    private static bool IsElfX64(ZipArchiveEntry entry)
    {
        var header = new byte[20];
        using var stream = entry.Open();
        stream.ReadExactly(header);
        // \x7fELF, 64-bit (class 2), little-endian (data 1), machine EM_X86_64 (0x3e).
        return header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' && header[3] == 'F' && header[4] == 2 && header[5] == 1
            && BitConverter.ToUInt16(header, 0x12) == 0x3e;
    }

    [Fact]
    public void The_installed_crx_tool_reports_its_version_describes_an_architecture_and_trains()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        // README.md's lines: dotnet tool install -g, the tools folder on the PATH, crx --version.
        var (installCode, installed, installError) = packed.RunReadmeBlock("tool", packed.Home);
        Assert.True(installCode == 0, $"README.md's tool block exited with {installCode}:\n{Dotnet.Tail(installed)}\n{Dotnet.Tail(installError)}");
        Assert.Equal(packed.Version, installed.Trim().Split('\n')[^1].Trim());
        string crx = Path.Combine(packed.Home, ".dotnet", "tools", "crx");
        Assert.True(File.Exists(crx), $"no {crx}: dotnet tool install -g put crx elsewhere");

        (int Code, string Output, string Error) Crx(params string[] args) => packed.RunAtHome(crx, packed.Work, args);

        var (code, output, error) = Crx("info", "--arch", "cifar10");
        Assert.True(code == 0, error);
        Assert.StartsWith("cifar10: 10 classes, input 3x32x32", output);

        // Two optimizer steps on synthetic 8x8 images written as an MNIST folder, with a tiny coded network.
        using var tmp = new TempDirectory();
        string data = DataFixtures.WriteIdxFolder(tmp["data"], Synthetic.Splits(train: 40, test: 20)), run = tmp["run"];
        (code, output, error) = Crx("train", "--dataset", "mnist", "--data-dir", data, "--arch", Synthetic.ArchitectureFile(tmp.Path),
            "--batch", "10", "--max-steps", "2", "--threads", "1", "--workers", "1", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("stopped after step 2", output);
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));
    }

    [Fact]
    public void A_fresh_project_referencing_the_package_builds_without_warnings_and_runs_the_sample_as_the_repository_does()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        Assert.True(File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
            "/usr/share/datasets/fashion-mnist is missing: run ./setup.sh (Debian package dataset-fashion-mnist)");
        string sample = Path.Combine(packed.Repository, "samples", "TrainExtractPredict");

        // README.md's lines: a new console project outside the clone (nothing of the repository: no Directory.Build.*, no
        // central versions) that references the package and a backend.
        var (made, madeOutput, madeError) = packed.RunReadmeBlock("application", packed.Home);
        Assert.True(made == 0, $"README.md's application block exited with {made}:\n{Dotnet.Tail(madeOutput)}\n{Dotnet.Tail(madeError)}");
        string project = Assert.Single(Directory.GetDirectories(packed.Home).Where(d => !Path.GetFileName(d).StartsWith('.'))
            .SelectMany(d => Directory.GetFiles(d, "*.csproj")));
        string app = Path.GetDirectoryName(project)!;
        File.Copy(Path.Combine(sample, "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);

        // The package's build step (the GLIBCXX fix) and everything else build clean in the user's project.
        var (built, buildOutput, buildError) = packed.RunAtHome(Dotnet.Host, app, "build", "-c", "Release", "-warnaserror", "-nologo", "-nodeReuse:false");
        Assert.True(built == 0, $"dotnet build -warnaserror exited with {built}:\n{Dotnet.Tail(buildOutput)}\n{Dotnet.Tail(buildError)}");
        Assert.DoesNotMatch(@"(?i): warning ", buildOutput);
        string dll = Path.Combine(app, "bin", "Release", "net10.0", Path.GetFileNameWithoutExtension(project) + ".dll");
        var (code, fromPackage, error) = packed.RunAtHome(Dotnet.Host, app, dll);
        Assert.True(code == 0, error);

        // The same program built inside the repository (its build is incremental: the tests' build usually made it).
        Dotnet.Sdk(sample, Slow, "build", "-c", packed.Configuration, "-nologo", "-v", "quiet", "-clp:ErrorsOnly", "-nodeReuse:false");
        var (inRepoCode, inRepository, inRepoError) = Dotnet.Run(Dotnet.Host, packed.Work, Slow,
            Path.Combine(sample, "bin", packed.Configuration, "net10.0", "TrainExtractPredict.dll"));
        Assert.True(inRepoCode == 0, inRepoError);
        Assert.NotEmpty(inRepository.Trim());
        Assert.Equal(inRepository, fromPackage);
        // What the sample does, it did: trained, extracted, predicted eight images, saved both model files and reloaded them.
        Assert.Matches(@"\d+ epochs: validation top-1 [\d.]+ %", fromPackage);
        Assert.Matches(@"trouser classifier: [\d.]+ % of the parameters", fromPackage);
        Assert.Equal(8, System.Text.RegularExpressions.Regex.Matches(fromPackage, @"trouser\? (yes|no)").Count);
        Assert.Contains("reloaded classifier agrees: True", fromPackage);
        Assert.True(File.Exists(Path.Combine(app, "sample-output", "trouser.crxb")) && File.Exists(Path.Combine(app, "sample-output", "fashion-tiny.ckpt")));
    }
}
