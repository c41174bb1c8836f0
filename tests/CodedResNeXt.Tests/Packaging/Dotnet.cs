using System.Diagnostics;

namespace CodedResNeXt.Tests.Packaging;

/// <summary>Runs the .NET SDK (or a program it made) as a child process and collects everything it printed.</summary>
public static class Dotnet
{
    /// <summary>The dotnet executable that runs the tests (DOTNET_HOST_PATH, set by dotnet test), else the one on PATH.</summary>
    public static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>: its exit code, and its
    /// standard output and error. No MSBuild node or compiler server outlives the command (they would keep the
    /// output pipes open), and there is no standard input to wait on.
    /// </summary>
    public static (int Code, string Output, string Error) Run(string file, string workingDirectory, TimeSpan timeout,
        params string[] args) => Run(file, workingDirectory, timeout, null, args);

    /// <summary>
    /// <see cref="Run(string, string, TimeSpan, string[])"/> with <paramref name="environment"/> changed: each variable set
    /// to its value, or removed where the value is null.
    /// </summary>
    public static (int Code, string Output, string Error) Run(string file, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // An installed tool's launcher finds the runtime through DOTNET_ROOT first: the one running these tests.
        if (Path.IsPathRooted(Host) && Environment.GetEnvironmentVariable("DOTNET_ROOT") is null)
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Host);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalMinutes} min");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs the SDK; fails the test with its output when it exits with an error, else returns standard output.</summary>
    public static string Sdk(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var (code, output, error) = Run(Host, workingDirectory, timeout, args);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited with {code}:\n{Tail(output)}\n{Tail(error)}");
        return output;
    }

    /// <summary>The end of a long output, which is where the SDK says what went wrong.</summary>
    public static string Tail(string text, int chars = 4000) => text.Length <= chars ? text : "…" + text[^chars..];
}
