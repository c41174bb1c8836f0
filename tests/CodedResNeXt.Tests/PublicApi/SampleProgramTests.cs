using System.Text.RegularExpressions;

namespace CodedResNeXt.Tests.PublicApi;

/// <summary>
/// The sample program (samples/TrainExtractPredict) is the README's C# example: the README shows it verbatim (here), and
/// the packaging tests build and run it both inside the repository and against the packed package
/// (Packaging/PackageTests).
/// </summary>
public class SampleProgramTests
{
    /// <summary>The repository's root: the folder above the tests holding CodedResNeXt.slnx.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CodedResNeXt.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no CodedResNeXt.slnx above {AppContext.BaseDirectory}");
    }

    private static string SamplePath => Path.Combine(RepositoryRoot(), "samples", "TrainExtractPredict", "Program.cs");

    [Fact]
    public void The_README_shows_the_sample_program_verbatim()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = Regex.Match(readme, @"^## Use it from C#\s*$(.*?)(?=^## )", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(section.Success, "README.md has no '## Use it from C#' section");
        var block = Regex.Match(section.Groups[1].Value, @"```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "the C# section has no ```csharp block");
        Assert.Equal(File.ReadAllText(SamplePath).ReplaceLineEndings("\n").Trim(), block.Groups[1].Value.ReplaceLineEndings("\n").Trim());
    }
}
