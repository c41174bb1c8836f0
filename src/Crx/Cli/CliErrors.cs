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
    // Options whose flag is not the kebab-case of their name.
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["BatchSize"] = "--batch",
        ["LearningRate"] = "--lr",
        ["MinLearningRate"] = "--min-lr",
        ["WarmupEpochs"] = "--warmup",
        ["Architecture"] = "--arch",
        ["Parameter"] = "--param",
        ["Nesterov"] = "--nesterov",
        ["HorizontalFlip"] = "--flip",
    };

    // Set by a verb whose flag for an option depends on how it was called (extract's --class or --classes).
    private static readonly Dictionary<string, string> Aliases = [];

    /// <summary>From now on, errors about <paramref name="option"/> name <paramref name="flag"/>.</summary>
    public static void Alias(string option, string flag) => Aliases[option] = flag;

    public static string FlagOf(string option) =>
        Aliases.GetValueOrDefault(option) ?? Flags.GetValueOrDefault(option) ?? "--" + Kebab(option);

    /// <summary>The one line printed after "crx: error: ".</summary>
    public static string Describe(InvalidInputException e) =>
        e.Subject is { Kind: InputKind.Option } subject ? $"{FlagOf(subject.Name)}: {e.Problem}" : e.Message;

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
