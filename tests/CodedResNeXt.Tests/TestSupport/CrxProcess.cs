using System.Diagnostics;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>Runs the built CLI (crx.dll, copied beside the tests) as a process: exit code, stdout, stderr.</summary>
public static class CrxProcess
{
    /// <summary>How to start crx.dll with <paramref name="args"/>, its output and error redirected.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "crx.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        return start;
    }

    public static (int Code, string Output, string Error) Run(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"crx {string.Join(' ', args)} did not finish within two minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs in a fresh temporary folder: exit code and standard error.</summary>
    public static (int Code, string Error) Run(params string[] args)
    {
        var (code, _, error) = Run(Path.GetTempPath(), args);
        return (code, error);
    }
}
