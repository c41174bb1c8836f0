using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt.Analysis;
using CodedResNeXt.Experiments;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Experiments;

/// <summary>Runs of an experiment file given by their recipe (the options record), and a sweep as such an experiment.</summary>
public sealed class RecipeRunTests
{
    private static ExperimentRun Run(string name, int seed, double mu, bool control = false) =>
        new(name, $"mu {mu}", control ? ExperimentPlan.ControlVariant : ExperimentPlan.CodedVariant, seed, null, [])
        {
            Recipe = new TrainingRecipe { Options = TrainingOptions.For("fashion-mnist") with { Architecture = "fashion-tiny", Seed = seed, Mu = mu, Control = control }, Threads = 2 },
        };

    [Fact]
    public void A_plan_of_recipes_is_written_by_property_read_back_and_checked()
    {
        using var tmp = new TempDirectory();
        var plan = new ExperimentPlan("recipes", "runs", "results.json", "report.md", [Run("a", 1, 6), Run("b", 1, 3), Run("c", 1, 6, control: true)],
            Ablations: [new Ablation("mu", "--mu", "6", ["mu 6", "mu 3"])]);
        string file = tmp["plan.json"];
        File.WriteAllText(file, JsonSerializer.Serialize(plan, ExperimentPlan.Json));
        var run = JsonNode.Parse(File.ReadAllText(file))!["runs"]![1]!;
        Assert.Equal(3.0, (double)run["recipe"]!["options"]!["mu"]!);
        Assert.Null(run["train"]);

        var read = ExperimentPlan.Load(file);
        Assert.Equal(plan.Runs.Select(r => r.Recipe), read.Runs.Select(r => r.Recipe));
        Assert.Equal("3", read.AblationValue(read.Ablations![0], "mu 3"));
        Assert.Equal("6", read.AblationValue(read.Ablations![0], "mu 6"));
        Assert.Equal(["--dataset", "fashion-mnist", "--arch", "fashion-tiny", "--mu", "3", "--threads", "2", "--out", Path.Combine("runs", "b")],
            (read with { RecipeArguments = r => ["--dataset", "fashion-mnist", "--arch", "fashion-tiny", "--mu", "3", "--threads", "2"] }).TrainArguments(read.Runs[1]));

        Assert.Equal("run 'a': its recipe's seed is 1, not 2", (plan with { Runs = [Run("a", 1, 6) with { Seed = 2 }] }).Problem());
        Assert.Equal("run 'a': variant control but control is not in its recipe", (plan with { Runs = [Run("a", 1, 6) with { Variant = "control" }] }).Problem());

        // A partial recipe is the dataset's for the rest; a setting that is not one names the file.
        File.WriteAllText(file, """{ "name": "p", "runs_directory": "r", "results": "x.json", "report": "x.md", "runs": [ { "name": "a", "group": "g", "variant": "coded", "seed": 1, "analyze": [], "recipe": { "options": { "dataset": "mnist", "mu": 2 } } } ] }""");
        Assert.Equal(TrainingOptions.For("mnist") with { Mu = 2 }, ExperimentPlan.Load(file).Runs[0].Recipe!.Options);
        File.WriteAllText(file, """{ "name": "p", "runs_directory": "r", "results": "x.json", "report": "x.md", "runs": [ { "name": "a", "group": "g", "variant": "coded", "seed": 1, "analyze": [], "recipe": { "options": { "dataset": "mnist", "lr": 2 } } } ] }""");
        var bad = Assert.Throws<InvalidInputException>(() => ExperimentPlan.Load(file));
        Assert.Equal(file, bad.File);
        Assert.Contains("lr", bad.Problem);
    }

    [Fact]
    public void A_sweep_is_an_experiment_of_one_seed_with_a_coded_run_per_value()
    {
        var options = TrainingOptions.For("fashion-mnist") with { Seed = 4 };
        var plan = new SweepPlan(SweepParameter.PDrop, [0, 0.2], options, "runs/sweep").ToExperiment();
        Assert.Equal(["p-drop=0", "p-drop=0.2"], plan.Runs.Select(r => r.Name));
        Assert.All(plan.Runs, r => Assert.Equal((4, ExperimentPlan.CodedVariant), (r.Seed, r.Variant)));
        Assert.Equal(options with { PDrop = 0.2 }, plan.Runs[1].Recipe!.Options);
        Assert.Equal(Path.Combine("runs/sweep", "p-drop=0.2"), plan.RunDirectory(plan.Runs[1]));
    }
}
