using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// A crx process left running, for what only a live process shows: output as it comes, and how it answers signals.
/// </summary>
public sealed class RunningCrx : IDisposable
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly object _lock = new();

    public RunningCrx(string workingDirectory, params string[] args)
    {
        _process = new Process { StartInfo = CrxProcess.StartInfo(workingDirectory, args) };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lock) _error.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output { get { lock (_lock) return _output.ToString(); } }
    public int Id => _process.Id;
    public const int SigKill = 9;
    public string Error { get { lock (_lock) return _error.ToString(); } }

    /// <summary>Waits until standard output or error satisfies <paramref name="seen"/>; fails the test after the timeout or on exit.</summary>
    public void WaitFor(Func<string, string, bool> seen, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!seen(Output, Error))
        {
            if (_process.HasExited) Assert.Fail($"crx exited ({_process.ExitCode}) before {what}: {Error}");
            if (clock.Elapsed > timeout) Assert.Fail($"no {what} within {timeout.TotalSeconds} s: {Output} {Error}");
            Thread.Sleep(50);
        }
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) Assert.Fail($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"crx did not exit within {timeout.TotalSeconds} s");
        }
        _process.WaitForExit(); // drains the asynchronous readers
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    // DllImport rather than LibraryImport, which would need unsafe code for one blittable call.
#pragma warning disable SYSLIB1054
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
