using System.Diagnostics;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// crx run as a person runs it: in a pseudo-terminal of tmux (its own server, 200 columns by 50 rows unless given), so that stdout
/// is a terminal and crx takes its interactive display path. The screen is read with capture-pane; Ctrl+C is typed
/// with send-keys, so SIGINT reaches the foreground process group through the terminal, as it does at a keyboard.
/// </summary>
public sealed class Terminal : IDisposable
{
    private readonly string _socket = "crx-test-" + Guid.NewGuid().ToString("N")[..10];
    private readonly TempDirectory _dir = new();
    private string ExitFile => _dir["exit-code"];

    /// <summary>Starts <c>crx <paramref name="args"/></c> in <paramref name="workingDirectory"/>.</summary>
    public Terminal(string workingDirectory, params string[] args) : this(200, workingDirectory, args) { }

    /// <summary>Starts <c>crx <paramref name="args"/></c> in a terminal <paramref name="columns"/> wide.</summary>
    public Terminal(int columns, string workingDirectory, params string[] args)
    {
        // bash waits for crx and, since crx does not die of the SIGINT it handles, goes on to record its exit code;
        // the pane then stays open so that the last screen can be read.
        string script = _dir["run.sh"];
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        File.WriteAllText(script,
            $"cd {Quote(workingDirectory)}\n" +
            $"{Quote(host)} {Quote(Path.Combine(AppContext.BaseDirectory, "crx.dll"))} {string.Join(' ', args.Select(Quote))}\n" +
            $"echo $? > {Quote(ExitFile)}\n" +
            "exec sleep 3600\n");
        Tmux("new-session", "-d", "-s", "crx", "-x", columns.ToString(), "-y", "50", "bash " + Quote(script));
    }

    /// <summary>Whether tmux is on this machine (it is on a fresh Debian 12 and in CI).</summary>
    public static bool Available => File.Exists("/usr/bin/tmux");

    /// <summary>The screen and its scrollback, as text (wrapped lines joined).</summary>
    public string Screen() => Tmux("capture-pane", "-p", "-J", "-S", "-2000", "-t", "crx");

    /// <summary>Types Ctrl+C.</summary>
    public void Interrupt() => Tmux("send-keys", "-t", "crx", "C-c");

    /// <summary>Waits until the screen satisfies <paramref name="seen"/>, polling it; fails the test on timeout or exit.</summary>
    public string WaitFor(Func<string, bool> seen, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string screen = Screen();
            if (seen(screen)) return screen;
            if (File.Exists(ExitFile)) Assert.Fail($"crx exited before {what}; its screen:\n{Screen()}");
            if (clock.Elapsed > timeout) Assert.Fail($"no {what} within {timeout.TotalSeconds} s; the screen:\n{screen}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for crx to exit: its exit code and its last screen.</summary>
    public (int Code, string Screen) WaitForExit(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(ExitFile) || File.ReadAllText(ExitFile).Trim() == "")
        {
            if (clock.Elapsed > timeout) Assert.Fail($"crx did not exit within {timeout.TotalSeconds} s; the screen:\n{Screen()}");
            Thread.Sleep(100);
        }
        return (int.Parse(File.ReadAllText(ExitFile).Trim()), Screen());
    }

    public void Dispose()
    {
        try { Tmux("kill-server"); } catch (Xunit.Sdk.XunitException) { /* already gone */ }
        _dir.Dispose();
    }

    private string Tmux(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        // No user configuration: the screen is tmux's defaults.
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("/dev/null");
        foreach (string a in args) start.ArgumentList.Add(a);
        // A terminal that Spectre.Console recognizes, whatever the test runner's environment says.
        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("CI");
        start.Environment.Remove("NO_COLOR");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30))) { process.Kill(); Assert.Fail($"tmux {string.Join(' ', args)} hung"); }
        if (process.ExitCode != 0) Assert.Fail($"tmux {string.Join(' ', args)}: {error.Result}");
        return output.Result;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
