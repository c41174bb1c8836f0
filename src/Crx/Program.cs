using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Model;
using Crx.Cli;
using Crx.Verbs;
using Spectre.Console;

// Piped output is read by programs and grep: do not wrap it at Spectre's default of 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;
// Every verb computes with libtorch: let glibc keep freed tensor memory instead of unmapping it (see ProcessSettings).
CodedResNeXt.Runtime.ProcessSettings.KeepFreedMemory();

var root = new RootCommand(
    "crx: Coded ResNeXt for .NET. Generate coding schemes, build and train coded networks, " +
    "and take them apart into early decoders and binary classifiers.");
foreach (var verb in AllVerbs.Create()) root.Subcommands.Add(verb);

ParseResult parsed;
try { parsed = root.Parse(RunConfig.Expand(root.Subcommands.Single(c => c.Name == "train"), args)); }
catch (InvalidInputException e)
{
    Console.Error.WriteLine($"crx: error: {Crx.Display.DisplayText.Safe(CliErrors.Describe(e))}");
    return ExitCodes.BadInput;
}
if (parsed.Errors.Count > 0)
{
    // System.CommandLine would print every error and the whole help; one line says more.
    Console.Error.WriteLine($"crx: error: {ParseErrors.Describe(parsed)}");
    return ExitCodes.BadInput;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException e)
{
    Console.Error.WriteLine($"crx: interrupted by {Interruption.LastSignalName}{(e is InterruptedException ? ": " + e.Message : "")}");
    return Interruption.ExitCode;
}
catch (Exception e) when (CliErrors.Classify(e) is { } failure)
{
    // The line can quote a file's text (a class name, a path): shown escaped, it stays one line and cannot
    // drive the terminal.
    Console.Error.WriteLine($"crx: error: {Crx.Display.DisplayText.Safe(failure.Line)}");
    return failure.Code;
}
