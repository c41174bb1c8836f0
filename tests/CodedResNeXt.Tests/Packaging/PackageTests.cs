using System.IO.Compression;
using System.Xml.Linq;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>
/// What a user gets from the packages: crx installed with `dotnet tool install` from the packed feed runs, and a
/// fresh console project that references the packed CodedResNeXt package builds and runs the repository's sample
/// with the same output as the sample built inside the repository. On Debian 12 both also prove the GLIBCXX fix
/// holds outside the repository (without it libtorch's glue does not load there).
/// </summary>
public sealed class PackageTests(PackedPackages packed) : IClassFixture<PackedPackages>
{
    private static readonly TimeSpan Slow = PackedPackages.Slow;

    [Fact]
    public void The_packages_carry_their_metadata_the_readme_the_xml_docs_and_the_glibcxx_fix()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        using var core = ZipFile.OpenRead(Path.Combine(packed.Feed, $"CodedResNeXt.{packed.PackageVersion}.nupkg"));
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

        Assert.True(File.Exists(Path.Combine(packed.Feed, $"CodedResNeXt.Lab.{packed.PackageVersion}.nupkg")));
        using var tool = ZipFile.OpenRead(Path.Combine(packed.Feed, $"crx.linux-x64.{packed.PackageVersion}.nupkg"));
        Assert.Contains(tool.Entries, e => e.Name == "libtorch_cpu.so");
        Assert.DoesNotContain(tool.Entries, e => e.Name.EndsWith(".dylib") || e.FullName.Contains("/win-"));
    }

    [Fact]
    public void The_installed_crx_tool_reports_its_version_describes_an_architecture_and_trains()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        string tools = Path.Combine(packed.Work, "tools"), config = Path.Combine(packed.Work, "tool-config");
        Directory.CreateDirectory(config);
        Dotnet.Sdk(packed.Work, Slow, "tool", "install", "--tool-path", tools, "crx", "--add-source", packed.Feed,
            "--version", packed.PackageVersion, "--configfile", packed.WriteOfflineNuGetConfig(config));
        string crx = Path.Combine(tools, "crx");

        (int Code, string Output, string Error) Crx(params string[] args) => Dotnet.Run(crx, packed.Work, TimeSpan.FromMinutes(3), args);

        var (code, output, error) = Crx("--version");
        Assert.True(code == 0, error);
        Assert.Equal(packed.Version, output.Trim());

        (code, output, error) = Crx("info", "--arch", "cifar10");
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
    public void A_fresh_project_referencing_the_package_builds_and_runs_the_sample_as_the_repository_does()
    {
        Assert.True(packed.PackFailure is null, packed.PackFailure);
        Assert.True(File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
            "/usr/share/datasets/fashion-mnist is missing: run ./setup.sh (Debian package dataset-fashion-mnist)");
        string sample = Path.Combine(packed.Repository, "samples", "TrainExtractPredict");

        // A user's project: nothing of the repository (no Directory.Build.*, no central versions), the package and a backend.
        string app = Path.Combine(packed.Work, "app");
        Directory.CreateDirectory(app);
        File.Copy(Path.Combine(sample, "Program.cs"), Path.Combine(app, "Program.cs"));
        new XDocument(new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("OutputType", "Exe"), new XElement("TargetFramework", "net10.0"),
                new XElement("ImplicitUsings", "enable"), new XElement("Nullable", "enable")),
            new XElement("ItemGroup",
                new XElement("PackageReference", new XAttribute("Include", "CodedResNeXt"), new XAttribute("Version", packed.PackageVersion)),
                new XElement("PackageReference", new XAttribute("Include", "libtorch-cpu-linux-x64"),
                    new XAttribute("Version", packed.CentralVersionOf("libtorch-cpu-linux-x64")))))).Save(Path.Combine(app, "App.csproj"));
        packed.WriteOfflineNuGetConfig(app);
        Dotnet.Sdk(app, Slow, "build", "-c", "Release", "-nologo", "-v", "quiet", "-clp:ErrorsOnly", "-nodeReuse:false");
        var (code, fromPackage, error) = Dotnet.Run(Dotnet.Host, app, Slow, Path.Combine(app, "bin", "Release", "net10.0", "App.dll"));
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
