using System.Text.Json.Nodes;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Training;

/// <summary>The recipe as a file: `crx train --print-config`, `--config FILE`, and the config.json every run writes.</summary>
public sealed class RunConfigTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string WriteData() => DataFixtures.WriteIdxFolder(_tmp["data"], Synthetic.Splits(train: 60, test: 20));

    private JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    [Fact]
    public void Print_config_gives_the_datasets_recipe_with_the_given_flags()
    {
        var (code, output, error) = CrxProcess.Run(_tmp.Path, "train", "--print-config", "--dataset", "cifar100", "--lr", "0.05", "--accumulate", "4");
        Assert.True(code == 0, error);
        var recipe = Json(output);
        Assert.Equal("cifar100", (string)recipe["dataset"]!);
        Assert.Equal(0.05, (double)recipe["lr"]!);
        Assert.Equal(512, (int)recipe["batch"]!);
        Assert.Equal(4, (int)recipe["accumulate"]!);
        Assert.Equal("n1-m2", (string)recipe["randaugment"]!);
        Assert.Equal("published", (string)recipe["normalization"]!);
    }

    [Fact]
    public void A_run_writes_its_recipe_and_that_file_reproduces_the_run_with_command_line_flags_winning()
    {
        string data = WriteData(), arch = Synthetic.ArchitectureFile(_tmp.Path);
        var (code, output, error) = CrxProcess.Run(_tmp.Path, "train", "--print-config", "--dataset", "mnist", "--arch", arch,
            "--data-dir", data, "--batch", "20", "--threads", "1");
        Assert.True(code == 0, error);
        var recipe = Json(output);
        recipe["epochs"] = 1;
        recipe["mu"] = 3;
        string file = Path.Combine(_tmp.Path, "run.json");
        File.WriteAllText(file, recipe.ToJsonString());

        // The file's settings, but --seed from the command line.
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file, "--seed", "5", "--out", _tmp["a"]);
        Assert.True(code == 0, error);
        var written = Json(File.ReadAllText(Path.Combine(_tmp["a"], "config.json")));
        Assert.Equal(5, (int)written["seed"]!);
        Assert.Equal(1, (int)written["epochs"]!);
        Assert.Equal(3.0, (double)written["mu"]!);
        written["seed"] = recipe["seed"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(recipe, written), $"{recipe.ToJsonString()}\n{written.ToJsonString()}");

        // A run's own config.json, given back as --config, is the same run: the same recipe and the same weights.
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", Path.Combine(_tmp["a"], "config.json"), "--out", _tmp["b"]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(Path.Combine(_tmp["a"], "config.json")), File.ReadAllText(Path.Combine(_tmp["b"], "config.json")));
        Assert.Equal(ZipEntries.Read(Path.Combine(_tmp["a"], "last.ckpt"), "model.safetensors"),
            ZipEntries.Read(Path.Combine(_tmp["b"], "last.ckpt"), "model.safetensors"));
    }

    [Fact]
    public void A_key_that_is_not_a_flag_and_a_file_that_is_not_a_recipe_are_one_line_errors()
    {
        string file = Path.Combine(_tmp.Path, "bad.json");
        File.WriteAllText(file, """{ "lr": 0.1, "learning-rate": 0.2 }""");
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file);
        Assert.Equal((2, $"crx: error: {file}: 'learning-rate' is not a setting of a run (the keys are crx train's flags without --, as in config.json)"),
            (code, error.TrimEnd()));

        File.WriteAllText(file, "[1, 2]");
        (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--config", file);
        Assert.Equal((2, $"crx: error: {file}: a recipe is a JSON object of flag names and values"), (code, error.TrimEnd()));
    }
}
