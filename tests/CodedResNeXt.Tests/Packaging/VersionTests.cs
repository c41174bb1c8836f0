using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>`crx --version`: the one version of the repository (Directory.Build.props), as the packages carry it.</summary>
public class VersionTests
{
    [Fact]
    public void Crx_prints_the_version_of_the_packages_and_nothing_else()
    {
        string version = PackedPackages.PropertyOf(Path.Combine(PackedPackages.FindRepository(), "Directory.Build.props"), "Version");
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "--version");
        Assert.True(code == 0, error);
        Assert.Equal(version + Environment.NewLine, output);
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
    }
}
