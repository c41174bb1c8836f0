using System.Text;
using CodedResNeXt;

namespace Crx.Cli;

/// <summary>
/// Words the library's errors in the CLI's terms. The library names the option that is wrong as its options records
/// do (<c>ThresholdSamples</c>); here it becomes the flag a user typed (<c>--threshold-samples</c>). Files and values
/// are already named in the message.
/// </summary>
internal static class CliErrors
{
    // Options of the verbs' own (not a training run's) whose flag is not the kebab-case of their name.
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["Parameter"] = "--param",
        ["EarlyExitTarget"] = "--early-exit",
    };

    // Set by a verb whose flag for an option depends on how it was called (extract's --class or --classes).
    private static readonly Dictionary<string, string> Aliases = [];

    /// <summary>From now on, errors about <paramref name="option"/> name <paramref name="flag"/>.</summary>
    public static void Alias(string option, string flag) => Aliases[option] = flag;

    /// <summary>The flag of an option the library names: a training run's from its table (<see cref="Crx.Verbs.TrainingFlags"/>), else the verb's.</summary>
    public static string FlagOf(string option) =>
        Aliases.GetValueOrDefault(option) ?? Crx.Verbs.TrainingFlags.FlagOf(option) ?? Flags.GetValueOrDefault(option) ?? "--" + Kebab(option);

    /// <summary>The one line printed after "crx: error: ".</summary>
    public static string Describe(InvalidInputException e) =>
        e.Option is { } option ? $"{FlagOf(option)}: {e.Problem}" : e.Message;

    /// <summary>The one line printed after "crx: error: " for a diverged run.</summary>
    public static string Describe(CodedResNeXt.Training.TrainingDivergedException e) => $"{FlagOf(e.Option)}: {e.Problem}";

    /// <summary>
    /// The exit code and the one line (after "crx: error: ") for what a verb threw, or null for an exception that
    /// is a bug (and keeps its stack trace). Failures of the machine (disk full, read-only file system, I/O error)
    /// are told apart from bad input, so a script can retry the one and fix the other.
    /// </summary>
    public static (int Code, string Line)? Classify(Exception e) => e switch
    {
        InvalidInputException bad => (ExitCodes.BadInput, Describe(bad)),
        CodedResNeXt.Training.TrainingDivergedException diverged => (ExitCodes.Diverged, Describe(diverged)),
        CodedResNeXt.Training.RunFolderInUseException busy => (ExitCodes.FolderInUse, busy.Message),
        // A file that is not there is what the user named, not the machine failing.
        FileNotFoundException or DirectoryNotFoundException => (ExitCodes.BadInput, OneLine(e.Message)),
        IOException or UnauthorizedAccessException => (ExitCodes.MachineFailure, OneLine(e.Message)),
        _ => null,
    };

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private static string Kebab(string name)
    {
        var text = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }
}
