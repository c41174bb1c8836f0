using System.CommandLine;
using Crx.Cli;
using Crx.Verbs;

namespace CodedResNeXt.Tests.Cli;

/// <summary>
/// Issue 31, values that do not mean what was written: every flag of every verb, given a value of the wrong form
/// (a number with a group separator or not finite, an integer too large, an empty path or name), is refused where
/// the command line is parsed, in one line naming the flag. In-process, over the same command tree the CLI runs.
/// </summary>
public sealed class FlagValueTests
{
    private static readonly RootCommand Root = Build();

    private static RootCommand Build()
    {
        var root = new RootCommand();
        foreach (var verb in AllVerbs.Create()) root.Subcommands.Add(verb);
        return root;
    }

    public static TheoryData<string, string, string> BadValues()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var verb in Root.Subcommands)
            foreach (var option in verb.Options)
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                string[] values = type == typeof(double) ? ["0,1", "1,5", "NaN", "-Infinity", "1e999", "fast"]
                    : type == typeof(int) || type == typeof(long) ? ["1,000", "99999999999999999999", "ten"]
                    : (type == typeof(string) || type == typeof(string[])) && option.Name != "--exclude-classes" ? [""]
                    : [];
                foreach (string value in values) data.Add(verb.Name, option.Name, value);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Every_flag_refuses_a_value_of_the_wrong_form_in_one_line_naming_it(string verb, string flag, string value)
    {
        var command = Root.Subcommands.Single(c => c.Name == verb);
        // The verb's other required flags and arguments get a value, so that the one error is the flag's.
        var args = new List<string> { verb };
        foreach (var required in command.Options.Where(o => o.Required && o.Name != flag)) args.AddRange([required.Name, "1"]);
        foreach (var _ in command.Arguments) args.Add("x");
        args.AddRange([flag, value]);

        var parsed = Root.Parse(args);

        Assert.NotEmpty(parsed.Errors);
        string line = ParseErrors.Describe(parsed);
        Assert.StartsWith($"{flag}: ", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Every_verb_has_flags_the_theory_covers()
    {
        // A new option type (float, decimal, a list) would escape the checks above: name it here first.
        var types = Root.Subcommands.SelectMany(c => c.Options).Select(o => Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType).Distinct();
        Assert.All(types, t => Assert.Contains(t, new[] { typeof(double), typeof(int), typeof(long), typeof(string), typeof(string[]), typeof(bool) }));
    }
}
