using System.Runtime.InteropServices;

namespace Crx.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM both ask long work to stop at its next safe point (after the current training step,
/// between analysis batches) instead of killing the process, so a run keeps its last checkpoint. A second signal
/// of either kind, while the first is being honoured, takes the default action and ends the process at once.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private static volatile int _lastSignal; // 0: none yet; else 2 or 15

    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public Interruption()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public CancellationToken Token => _cancel.Token;
    public bool Requested => _cancel.IsCancellationRequested;

    /// <summary>130 after SIGINT, 143 after SIGTERM.</summary>
    public static int ExitCode => _lastSignal == 15 ? ExitCodes.Terminated : ExitCodes.Interrupted;
    public static string LastSignalName => _lastSignal == 15 ? "SIGTERM" : "SIGINT";

    private void Handle(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested) return; // the second signal: default action
        context.Cancel = true;
        _lastSignal = context.Signal == PosixSignal.SIGTERM ? 15 : 2;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancel.Dispose();
    }
}

/// <summary>Work stopped by a signal; the message says what was kept and how to continue.</summary>
internal sealed class InterruptedException(string message) : OperationCanceledException(message);
