using System.Reflection;

namespace CodedResNeXt.Tests.Analysis;

/// <summary>Runs the crx CLI in-process through its entry point, as `./crx args…` would, capturing standard error.</summary>
public static class CrxCli
{
    private static readonly MethodInfo EntryPoint = Assembly.Load("crx").EntryPoint
        ?? throw new InvalidOperationException("crx.dll has no entry point");

    private static readonly object ConsoleLock = new();

    public static (int ExitCode, string Errors) Run(params string[] args)
    {
        // Console.Error is process-wide: one CLI run at a time swaps it.
        lock (ConsoleLock)
        {
            var previous = Console.Error;
            var errors = new StringWriter();
            Console.SetError(errors);
            try
            {
                int code = (int)EntryPoint.Invoke(null, [args])!;
                return (code, errors.ToString());
            }
            finally { Console.SetError(previous); }
        }
    }
}
