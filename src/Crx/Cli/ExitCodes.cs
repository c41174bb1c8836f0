namespace Crx.Cli;

/// <summary>
/// The exit codes docs/cli.md promises: shells read 128 + n as "killed by signal n"; 74 and 75 are sysexits.h's
/// EX_IOERR and EX_TEMPFAIL, which scripts and schedulers already tell apart from bad input.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int BadInput = 2;
    public const int Diverged = 3;      // the training's loss or weights stopped being finite
    public const int MachineFailure = 74; // EX_IOERR: disk full, read-only file system, I/O error
    public const int FolderInUse = 75;    // EX_TEMPFAIL: another process holds the run folder; try later
    public const int Interrupted = 130; // SIGINT, Ctrl+C
    public const int Terminated = 143;  // SIGTERM
}
