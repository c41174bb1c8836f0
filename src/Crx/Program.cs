using System.CommandLine;
using CodedResNeXt;
using Crx.Verbs;

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
    Console.Error.WriteLine($"crx: error: {e.Message}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("crx: interrupted");
    return 130;
}
