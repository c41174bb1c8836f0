using System.CommandLine;
using CodedResNeXt.Experiments;
using Crx.Cli;

namespace Crx.Verbs;

/// <summary>
/// `crx experiment FILE.json`: trains and analyzes every run the file lists that its results file does not hold yet,
/// recording each run's figures (and regenerating the report) as soon as it ends. Run it again to continue.
/// </summary>
internal static class ExperimentVerb
{
    private sealed record Arguments(string File, int? MaxRuns, bool ReportOnly);

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Experiment file: runs (recipes or train flags, and analyze flags), runs folder, results file, report (see experiments/)" };
        var maxRuns = new Option<int?>("--max-runs") { Description = "Stop after recording this many runs [all pending]" };
        var reportOnly = new Option<bool>("--report-only") { Description = "Only regenerate the report from the results file" };
        var command = new Command("experiment",
            "Train and analyze the runs an experiment file lists, skipping those already recorded; record each run's figures and regenerate the report as it ends.")
        {
            file, maxRuns, reportOnly,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(file)!, p.GetValue(maxRuns), p.GetValue(reportOnly))));
        return command;
    }

    private static int Run(Arguments a)
    {
        if (a.MaxRuns is < 1) throw new CodedResNeXt.InvalidInputException($"--max-runs: {a.MaxRuns} must be at least 1");
        var train = TrainVerb.Create();
        var flags = new TrainingFlags();
        var plan = ExperimentPlan.Load(a.File) with { RecipeArguments = flags.Arguments };
        if (a.ReportOnly)
        {
            var existing = ExperimentResults.LoadOrEmpty(plan.Results, plan.Name);
            ExperimentReport.Write(plan, a.File, existing);
            Console.WriteLine($"written: {plan.Report} ({existing.Runs.Count} of {plan.Runs.Count} runs recorded)");
            return 0;
        }
        var recorded = ExperimentResults.LoadOrEmpty(plan.Results, plan.Name);
        int pending = plan.Runs.Count(r => Experiment.NextStep(plan, r, recorded) != Experiment.Step.Skip);
        Console.WriteLine($"experiment {plan.Name}: {plan.Runs.Count - pending} of {plan.Runs.Count} runs recorded in {plan.Results}; {pending} to go");
        var results = Experiment.Run(plan, (run, setup) => Train(train, a.File, plan, run, setup), args => Invoke(AnalyzeVerb.Create(), args),
            (r, _) => ExperimentReport.Write(plan, a.File, r), Console.WriteLine, a.MaxRuns);
        ExperimentReport.Write(plan, a.File, results);
        Console.WriteLine($"{results.Runs.Count} of {plan.Runs.Count} runs recorded in {plan.Results}; report: {plan.Report}");
        return 0;
    }

    /// <summary>
    /// Trains a run into the setup's folder, or resumes it there: a run given by its train flags as `crx train` with
    /// them (or `--out FOLDER --resume`), a run given by its recipe through the same training `crx train` does.
    /// </summary>
    private static bool Train(Command train, string file, ExperimentPlan plan, ExperimentRun run, CodedResNeXt.TrainingSetup setup)
    {
        string folder = setup.RunDirectory!;
        if (run.Recipe is not { } recipe)
            return Invoke(train, setup.Resume ? ["--out", folder, "--resume"] : plan.TrainArguments(run));
        using var owned = setup.Resume ? CodedResNeXt.CodedResNeXtModel.LockRunFolder(folder) : TrainVerb.Take(folder);
        var splits = CodedResNeXt.Data.DatasetRegistry.Load(recipe.Options.Dataset, recipe.ReadingOptions());
        return TrainVerb.Train(recipe, splits, folder, setup, continueWith: $"crx experiment {file}") == 0;
    }

    /// <summary>Runs a verb in this process, as `crx VERB args` would; false when it did not succeed.</summary>
    private static bool Invoke(Command verb, IReadOnlyList<string> arguments)
    {
        var parsed = verb.Parse(arguments.ToArray());
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"crx: error: {verb.Name}: {ParseErrors.Describe(parsed)}");
            return false;
        }
        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }) == 0;
    }
}
