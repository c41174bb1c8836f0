using System.CommandLine;

namespace Crx.Verbs;

/// <summary>Every verb of the CLI, in the order `crx --help` lists them.</summary>
internal static class AllVerbs
{
    public static IEnumerable<Command> Create() =>
    [
        QuickstartVerb.Create(),
        CodesVerb.Create(),
        InfoVerb.Create(),
        TrainVerb.Create(),
        EvalVerb.Create(),
        AnalyzeVerb.Create(),
        ExtractVerb.Create(),
        PredictVerb.Create(),
        SweepVerb.Create(),
        ImportVerb.Create(),
        ExportVerb.Create(),
        ExperimentVerb.Create(),
        BenchVerb.Create(),
    ];
}
