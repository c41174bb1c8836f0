using System.Diagnostics;
using System.Text.RegularExpressions;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.PublicApi;

/// <summary>
/// The sample program (samples/TrainExtractPredict) is the README's C# example: the README shows it verbatim, and the
/// suite builds and runs it on the real Fashion-MNIST.
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

    [Fact]
    public void The_sample_builds_and_trains_extracts_predicts_saves_and_reloads()
    {
        if (!Directory.Exists(CodedResNeXt.Data.DatasetCatalog.FashionMnistDefaultDir))
            Assert.Fail($"{CodedResNeXt.Data.DatasetCatalog.FashionMnistDefaultDir} is missing: run ./setup.sh (Debian package dataset-fashion-mnist)");
        using var tmp = new TempDirectory();
        // The solution builds the sample (it is one of its projects), as `dotnet test CodedResNeXt.slnx` does first.
        string dll = Path.Combine(RepositoryRoot(), "samples", "TrainExtractPredict", "bin", "Release", "net10.0", "TrainExtractPredict.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build CodedResNeXt.slnx -c Release)");
        var (code, output) = Dotnet(tmp.Path, TimeSpan.FromMinutes(5), dll);
        Assert.True(code == 0, $"the sample failed: {output}");
        Assert.Matches(@"\d+ epochs: validation top-1 [\d.]+ %", output);
        Assert.Matches(@"trouser classifier: [\d.]+ % of the parameters", output);
        Assert.Equal(8, Regex.Matches(output, @"trouser\? (yes|no)").Count);
        Assert.Contains("reloaded classifier agrees: True", output);
        Assert.True(File.Exists(Path.Combine(tmp.Path, "sample-output", "trouser.crxb")));
        Assert.True(File.Exists(Path.Combine(tmp.Path, "sample-output", "fashion-tiny.ckpt")));
    }

    private static (int Code, string Output) Dotnet(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', args)} did not finish within {timeout.TotalMinutes} minutes");
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
