using System.CommandLine;
using CodedResNeXt;
using Crx.Verbs;
using Spectre.Console;

// Piped output is read by programs and grep: do not wrap it at Spectre's default of 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;

var root = new RootCommand(
    "crx: Coded ResNeXt for .NET. Generate coding schemes, build and train coded networks, " +
    "and take them apart into early decoders and binary classifiers.");
foreach (var verb in AllVerbs.Create()) root.Subcommands.Add(verb);

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (InvalidInputException e)
{
    Console.Error.WriteLine($"crx: error: {Crx.CliErrors.Describe(e)}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("crx: interrupted");
    return 130;
}
