using System.Text.Json;
using CodedResNeXt.Experiments;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Experiments;

/// <summary>
/// The committed experiment (experiments/fashion-mnist.json, its runs given by their train flags) and its results file
/// (results/fashion-mnist.json, appended to by runners on older code): every recorded run is still recognised as
/// finished, so `crx experiment` skips it, and the report is what the results file says.
/// </summary>
public sealed class CommittedExperimentTests
{
    private static string Repo(string path) => Path.Combine(RepositoryRoot.Path, path);

    [Fact]
    public void Every_recorded_run_of_the_committed_experiment_is_recognised_as_finished()
    {
        var plan = ExperimentPlan.Load(Repo("experiments/fashion-mnist.json"));
        var results = ExperimentResults.LoadOrEmpty(Repo(plan.Results), plan.Name);
        Assert.NotEmpty(results.Runs);
        foreach (var recorded in results.Runs)
        {
            var run = Assert.Single(plan.Runs, r => r.Name == recorded.Name);
            Assert.True(Experiment.IsRecorded(plan, run, results), $"{run.Name} is recorded but not recognised as finished");
            Assert.Equal(Experiment.Step.Skip, Experiment.NextStep(plan, run, results));
        }
    }

    [Fact]
    public void The_results_file_reads_and_writes_back_unchanged()
    {
        // A runner on older code appends to it: its format is kept, key for key.
        string path = Repo("results/fashion-mnist.json");
        var results = ExperimentResults.LoadOrEmpty(path, "fashion-mnist");
        Assert.Equal(File.ReadAllText(path).TrimEnd(), JsonSerializer.Serialize(results, ExperimentPlan.Json).TrimEnd());
    }
}
