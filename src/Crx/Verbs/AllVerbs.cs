using System.CommandLine;

namespace Crx.Verbs;

/// <summary>Every verb of the CLI, in the order `crx --help` lists them, each flag's value checked as it is parsed (<see cref="Cli.FlagValues"/>).</summary>
internal static class AllVerbs
{
    public static IEnumerable<Command> Create() => Verbs().Select(Cli.FlagValues.Checked);

    private static IEnumerable<Command> Verbs() =>
    [
        QuickstartVerb.Create(),
        CodesVerb.Create(),
        InfoVerb.Create(),
        TrainVerb.Create(),
        EvalVerb.Create(),
        AnalyzeVerb.Create(),
        ExtractVerb.Create(),
        PredictVerb.Create(),
        ExplainVerb.Create(),
        ServeVerb.Create(),
        SweepVerb.Create(),
        ImportVerb.Create(),
        ExportVerb.Create(),
        ExperimentVerb.Create(),
        BenchVerb.Create(),
    ];
}
