namespace Crx.Cli;

/// <summary>The exit codes docs/cli.md promises: shells read 128 + n as "killed by signal n".</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int BadInput = 2;
    public const int Interrupted = 130; // SIGINT, Ctrl+C
    public const int Terminated = 143;  // SIGTERM
}
