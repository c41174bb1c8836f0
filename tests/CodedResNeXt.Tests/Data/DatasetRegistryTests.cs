using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using System.Text.RegularExpressions;

namespace CodedResNeXt.Tests.Data;

public class DatasetRegistryTests
{
    [Fact]
    public void Loads_each_format_by_name()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxDirectory(dir["mnist"], gzip: true);
        DataFixtures.WriteCifar10(dir["c10"]);
        DataFixtures.WriteCifar100(dir["c100"]);

        var mnist = DatasetRegistry.Load("mnist", new DatasetOptions { DataDir = dir["mnist"] });
        var fashion = DatasetRegistry.Load("Fashion-MNIST", new DatasetOptions { DataDir = dir["mnist"] });
        var c10 = DatasetRegistry.Load("cifar-10", new DatasetOptions { DataDir = dir["c10"] });
        var c100 = DatasetRegistry.Load("cifar100", new DatasetOptions { DataDir = dir["c100"], CoarseLabels = true });

        Assert.Equal("5", mnist.Train.ClassNames[5]);
        Assert.Equal("Sandal", fashion.Train.ClassNames[5]);
        Assert.Equal(10, c10.Train.Count);
        Assert.Equal(20, c100.Train.ClassCount);
    }

    [Fact]
    public void Bad_names_and_options_are_errors_naming_the_flag()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => DatasetRegistry.Load("svhn", new DatasetOptions()));
        // Datasets other tests register come after the built-in ones.
        Assert.StartsWith("Dataset: unknown dataset 'svhn'; expected one of fashion-mnist, mnist, cifar10, cifar100, folder", unknown.Message);
        var noDir = Assert.Throws<InvalidInputException>(() => DatasetRegistry.Load("cifar100", new DatasetOptions()));
        Assert.Equal("DataDir: required for cifar100", noDir.Message);
        var download = Assert.Throws<InvalidInputException>(() => DatasetRegistry.Load("mnist", new DatasetOptions { DataDir = "/tmp", Download = true }));
        Assert.StartsWith("Download: only cifar10 and cifar100", download.Message);
    }

    [Fact]
    public void Default_augmentations_follow_the_paper_recipes()
    {
        var c10 = DatasetRegistry.Get("cifar10").Recipe.Augmentation;
        Assert.Equal((new RandAugment(3, 4), 4, true), (c10.RandAugment, c10.CropPadding, c10.HorizontalFlip));
        Assert.Equal(new RandAugment(1, 2), DatasetRegistry.Get("cifar100").Recipe.Augmentation.RandAugment);
        var folder = DatasetRegistry.Get("folder").RecipeFor(160).Augmentation;
        Assert.Equal((160, new RandAugment(2, 10)), (folder.ResizedCrop, folder.RandAugment));
    }

    private static readonly string[] BuiltInNames = ["fashion-mnist", "mnist", "cifar10", "cifar100", "folder"];
    public static TheoryData<string> BuiltIn => new(BuiltInNames);

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Every_entry_is_a_valid_recipe_for_a_preset_under_its_own_name(string name)
    {
        var entry = DatasetRegistry.Get(name);
        Assert.Equal(name, entry.Name);
        Assert.Equal(name, entry.Recipe.Dataset);
        Assert.Contains(entry.Recipe.Architecture, Presets.Names);
        entry.Recipe.Validate();
        foreach (var alias in entry.Aliases) Assert.Same(entry, DatasetRegistry.Get(alias.ToUpperInvariant()));
        // A dataset of fixed-size images has no folder geometry; one that fits its images gets one per input side.
        Assert.Equal(entry.FitsImagesToInput, entry.RecipeFor(96).Folder is not null);
        if (entry.FitsImagesToInput) Assert.Equal((96, 96), (entry.RecipeFor(96).Folder!.Crop, entry.RecipeFor(96).Augmentation.ResizedCrop));
        if (entry.ClassNames is { } names) Assert.Equal(names.Count, names.Distinct().Count());
        if (entry.PublishedNormalization is { } published) Assert.Equal(published, Normalization.Published(name));
    }

    [Fact]
    public void A_registered_dataset_is_known_to_the_recipe_and_to_training_data_and_cannot_be_taken_twice()
    {
        string name = $"shapes-{Guid.NewGuid():N}"[..14];
        int loads = 0;
        var entry = new DatasetDefinition
        {
            Name = name, Aliases = [name + "-v1"], CoarseClassCount = 2,
            Load = _ => { loads++; return Synthetic.Splits(train: 40, test: 20); },
            Recipe = TrainingOptions.For("fashion-mnist") with { Dataset = name, Architecture = "fashion-tiny", Epochs = 7 },
        };
        DatasetRegistry.Register(entry);

        Assert.Contains(name, DatasetRegistry.Names);
        Assert.Equal(7, TrainingOptions.For(name.ToUpperInvariant()).Epochs);
        var data = TrainingData.Load(name + "-v1");
        Assert.Equal((40, 20, 1), (data.Train.Count, data.Validation.Count, loads));
        Assert.True(DatasetRegistry.Get(name).UsesCoarseLabels(2));
        Assert.False(DatasetRegistry.Get(name).UsesCoarseLabels(Synthetic.Classes));

        var again = Assert.Throws<ArgumentException>(() => DatasetRegistry.Register(entry with { Aliases = [] }));
        Assert.Contains($"'{name}' is already registered", again.Message);
        var alias = Assert.Throws<ArgumentException>(() => DatasetRegistry.Register(entry with { Name = name + "x", Aliases = ["cifar-10"],
            Recipe = entry.Recipe with { Dataset = name + "x" } }));
        Assert.Contains("'cifar-10' is already registered (as cifar10)", alias.Message);
        var mismatched = Assert.Throws<ArgumentException>(() => DatasetRegistry.Register(entry with { Name = name + "y", Aliases = [] }));
        Assert.Contains("names the dataset", mismatched.Message);
    }

    [Fact]
    public void No_code_outside_the_registry_and_the_presets_switches_on_a_dataset_name()
    {
        // A comparison with a name ("== \"folder\"", "is \"cifar10\" or ...") or a switch arm on one ("\"mnist\" =>").
        string names = string.Join("|", BuiltInNames.Select(Regex.Escape));
        var compared = new Regex($@"(==|!=|\bis|\bor|\bcase)\s*""({names})""|""({names})""\s*(=>|==)");
        var root = Path.Combine(RepositoryRoot.Path, "src");
        var offenders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                        && !f.EndsWith("DatasetRegistry.cs") && !f.EndsWith("Presets.cs"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => compared.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.Empty(offenders);
    }
}
