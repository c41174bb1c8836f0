using System.Text.Json.Nodes;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Training;

/// <summary>The recipe as a file: `crx train --print-config`, `--config FILE`, and the config.json every run writes.</summary>
public sealed class RunConfigTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string WriteData() => DataFixtures.WriteIdxFolder(_tmp["data"], Synthetic.Splits(train: 60, test: 20));

    private JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    [Fact]
    public void Print_config_gives_the_datasets_recipe_with_the_given_flags_as_the_options_record()
    {
        var (code, output, error) = CrxProcess.Run(_tmp.Path, "train", "--print-config", "--dataset", "cifar100", "--lr", "0.05", "--accumulate", "4");
        Assert.True(code == 0, error);
        var recipe = TrainingRecipe.Parse(output, "printed");
        Assert.Equal(TrainingOptions.For("cifar100") with { LearningRate = 0.05, Accumulate = 4 }, recipe.Options);
        var options = Json(output)["options"]!;
        Assert.Equal(0.05, (double)options["learning_rate"]!);
        Assert.Equal(512, (int)options["batch_size"]!);
        Assert.Equal("Published", (string)options["normalization"]!);
        Assert.Equal(new RandAugment(1, 2), recipe.Options.Augmentation.RandAugment);
    }

    [Fact]
    public void A_run_writes_its_recipe_and_that_file_reproduces_the_run_with_command_line_flags_winning()
    {
        string data = WriteData(), arch = Synthetic.ArchitectureFile(_tmp.Path);
        var (code, output, error) = CrxProcess.Run(_tmp.Path, "train", "--print-config", "--dataset", "mnist", "--arch", arch,
            "--data-dir", data, "--batch", "20", "--threads", "1");
        Assert.True(code == 0, error);
        var recipe = Json(output);
        recipe["options"]!["epochs"] = 1;
        recipe["options"]!["mu"] = 3;
        string file = Path.Combine(_tmp.Path, "run.json");
        File.WriteAllText(file, recipe.ToJsonString());

        // The file's settings, but --seed from the command line.
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file, "--seed", "5", "--out", _tmp["a"]);
        Assert.True(code == 0, error);
        var written = Json(File.ReadAllText(Path.Combine(_tmp["a"], "config.json")));
        Assert.Equal(5, (int)written["options"]!["seed"]!);
        Assert.Equal(1, (int)written["options"]!["epochs"]!);
        Assert.Equal(3.0, (double)written["options"]!["mu"]!);
        written["options"]!["seed"] = recipe["options"]!["seed"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(recipe, written), $"{recipe.ToJsonString()}\n{written.ToJsonString()}");
        Assert.Equal(TrainingRecipe.Parse(recipe.ToJsonString(), "r").Options with { Seed = 5 }, CodedResNeXtModel.Inspect(Path.Combine(_tmp["a"], "last.ckpt")).Options);

        // A run's own config.json, given back as --config, is the same run: the same recipe and the same weights.
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", Path.Combine(_tmp["a"], "config.json"), "--out", _tmp["b"]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(Path.Combine(_tmp["a"], "config.json")), File.ReadAllText(Path.Combine(_tmp["b"], "config.json")));
        Assert.Equal(ZipEntries.Read(Path.Combine(_tmp["a"], "last.ckpt"), "model.safetensors"),
            ZipEntries.Read(Path.Combine(_tmp["b"], "last.ckpt"), "model.safetensors"));

        // A config.json written before the recipe was a record, keyed by the flags, still reads: the same run again.
        string old = Path.Combine(_tmp.Path, "old-config.json");
        File.WriteAllText(old, $$"""
            { "dataset": "mnist", "data-dir": "{{data}}", "arch": "{{arch}}", "epochs": 1, "batch": 20, "mu": 3, "seed": 5, "threads": 1,
              "workers": null, "init-from": null, "exclude-classes": null }
            """);
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", old, "--out", _tmp["c"]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(Path.Combine(_tmp["a"], "config.json")), File.ReadAllText(Path.Combine(_tmp["c"], "config.json")));
        Assert.Equal(ZipEntries.Read(Path.Combine(_tmp["a"], "last.ckpt"), "model.safetensors"),
            ZipEntries.Read(Path.Combine(_tmp["c"], "last.ckpt"), "model.safetensors"));
    }

    [Fact]
    public void A_key_that_is_not_a_setting_and_a_file_that_is_not_a_recipe_are_one_line_errors()
    {
        string file = Path.Combine(_tmp.Path, "bad.json");
        File.WriteAllText(file, """{ "lr": 0.1, "learning-rate": 0.2 }""");
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file);
        Assert.Equal(2, code);
        Assert.StartsWith($"crx: error: {file}: 'learning-rate' is not a setting of a run", error.TrimEnd());
        Assert.Single(error.Trim().Split('\n'));

        File.WriteAllText(file, """{ "options": { "dataset": "mnist", "learning-rate": 0.2 } }""");
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file);
        Assert.Equal(2, code);
        Assert.StartsWith($"crx: error: {file}: ", error);
        Assert.Contains("learning-rate", error);
        Assert.Single(error.Trim().Split('\n'));

        File.WriteAllText(file, "[1, 2]");
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file);
        Assert.Equal((2, $"crx: error: {file}: a recipe is a JSON object: the training options under \"options\", as a run's config.json holds them"),
            (code, error.TrimEnd()));
    }
}
