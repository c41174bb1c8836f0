using System.IO.Compression;
using System.Text.Json.Nodes;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Training;

/// <summary>
/// What defines a run (<see cref="TrainingOptions"/>, compared by value) apart from how it runs (<see cref="TrainingSetup"/>),
/// and the run as a file (<see cref="TrainingRecipe"/>).
/// </summary>
public sealed class TrainingRecipeTests
{
    [Fact]
    public void Options_are_equal_when_their_values_are_and_the_same_run_differs_at_most_in_epochs()
    {
        var a = TrainingOptions.For("fashion-mnist") with { Architecture = "fashion-tiny", ExcludeClasses = [5, 9] };
        var b = TrainingOptions.For("fashion-mnist") with { Architecture = "fashion-tiny", ExcludeClasses = new List<int> { 5, 9 } };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.IsSameRunAs(b with { Epochs = 40 }));
        Assert.NotEqual(a, b with { Mu = 3 });
        Assert.False(a.IsSameRunAs(b with { Mu = 3 }));
        Assert.False(a.IsSameRunAs(b with { Augmentation = b.Augmentation with { HorizontalFlip = !b.Augmentation.HorizontalFlip } }));
    }

    [Fact]
    public void A_setup_out_of_range_is_refused_naming_the_setting()
    {
        Assert.Equal("Threads", Assert.Throws<InvalidInputException>(() => new TrainingSetup { Threads = 0 }.Validate()).Option);
        Assert.Equal("Workers", Assert.Throws<InvalidInputException>(() => new TrainingSetup { Workers = -1 }.Validate()).Option);
        Assert.Equal("MaxSteps", Assert.Throws<InvalidInputException>(() => new TrainingSetup { MaxSteps = 0 }.Validate()).Option);
        Assert.Equal("InitFrom", Assert.Throws<InvalidInputException>(() =>
            new TrainingSetup { RunDirectory = "r", Resume = true, InitFrom = "a.ckpt" }.Validate()).Option);
        // Each range is checked once, by the library, naming the option (the CLI words it as its flag).
        var options = TrainingOptions.For("fashion-mnist");
        Assert.Equal("Accumulate: 0 must be at least 1", Assert.Throws<InvalidInputException>(() => (options with { Accumulate = 0 }).Validate()).Message);
        Assert.Equal("PDrop: 1 is not in [0, 1)", Assert.Throws<InvalidInputException>(() => (options with { PDrop = 1 }).Validate()).Message);
    }

    [Fact]
    public void A_recipe_round_trips_by_property_and_a_partial_one_takes_the_rest_from_the_dataset()
    {
        var recipe = new TrainingRecipe
        {
            Options = TrainingOptions.For("cifar100") with { Architecture = "cifar100", Mu = 3, ExcludeClasses = [2] },
            DataDir = "/data/cifar", CoarseLabels = true, Threads = 2,
        };
        string json = recipe.ToJson();
        var node = JsonNode.Parse(json)!;
        Assert.Equal(3.0, (double)node["options"]!["mu"]!);
        Assert.Equal("cifar100", (string)node["options"]!["dataset"]!);
        Assert.Equal(2, (int)node["threads"]!);
        Assert.Null(node["options"]!["threads"]);
        Assert.Equal(recipe, TrainingRecipe.Parse(json, "r.json"));

        var partial = TrainingRecipe.Parse("""{ "options": { "dataset": "cifar10", "mu": 3, "augmentation": { "crop_padding": 2 } } }""", "p.json");
        var cifar = TrainingOptions.For("cifar10");
        Assert.Equal(cifar with { Mu = 3, Augmentation = cifar.Augmentation with { CropPadding = 2 } }, partial.Options);
        Assert.Null(partial.Threads);

        var unknown = Assert.Throws<InvalidInputException>(() => TrainingRecipe.Parse("""{ "options": { "dataset": "cifar10", "learning-rate": 3 } }""", "u.json"));
        Assert.Equal("u.json", unknown.File);
        Assert.Contains("learning-rate", unknown.Problem);
        Assert.Throws<InvalidInputException>(() => TrainingRecipe.Parse("""{ "lr": 0.1 }""", "old.json"));
    }

    [Fact]
    public void A_checkpoint_whose_options_still_hold_threads_workers_and_init_from_loads_with_the_same_options()
    {
        using var tmp = new TempDirectory();
        var options = Synthetic.Training(Synthetic.ArchitectureFile(tmp.Path), epochs: 1);
        var run = Synthetic.Run(options, tmp["run"], maxSteps: 2);
        new Trainer(run).Run(resume: false).Dispose();

        // Checkpoints written before the setup was apart kept these among the options.
        string old = tmp["old.ckpt"];
        File.Copy(run.LastCheckpointPath, old);
        using (var zip = ZipFile.Open(old, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("meta.json")!;
            JsonNode meta;
            using (var stream = entry.Open()) meta = JsonNode.Parse(stream)!;
            var stored = meta["training"]!["options"]!.AsObject();
            stored["threads"] = 2;
            stored["workers"] = 3;
            stored["init_from"] = "runs/x/last.ckpt";
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("meta.json").Open());
            writer.Write(meta.ToJsonString());
        }
        var info = CodedResNeXtModel.Inspect(old);
        Assert.Equal(options, info.Options);
        Assert.True(info.Resumable);
        using var model = CodedResNeXtModel.Load(old);
        Assert.Equal(options, model.TrainingOptions);
    }
}
