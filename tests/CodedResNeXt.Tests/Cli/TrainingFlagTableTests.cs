using System.CommandLine;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Training;
using Crx.Cli;
using Crx.Verbs;

namespace CodedResNeXt.Tests.Cli;

/// <summary>
/// The training flags are one table (<see cref="TrainingFlags"/>): every setting of a run has its flag, the flag an
/// error names is the table's, --help's defaults are the registry's recipes, and the command line the table writes
/// for a recipe (what an experiment records) reads back as that recipe.
/// </summary>
public sealed class TrainingFlagTableTests
{
    // Set by flags that are not one property each (--image-size and --resize-size give Folder) or by nothing (derived).
    private static readonly HashSet<string> NotAFlag = [nameof(TrainingOptions.Augmentation), nameof(TrainingOptions.Folder), nameof(TrainingOptions.EffectiveMu)];

    [Fact]
    public void Every_setting_of_a_run_has_one_flag_and_errors_about_it_name_that_flag()
    {
        var flags = new TrainingFlags();
        var settings = typeof(TrainingOptions).GetProperties().Select(p => p.Name)
            .Concat(typeof(AugmentationOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name))
            .Concat(typeof(TrainingRecipe).GetProperties().Select(p => p.Name).Where(n => n != nameof(TrainingRecipe.Options) && n != nameof(TrainingRecipe.InitFrom)))
            .Where(n => !NotAFlag.Contains(n)).ToList();
        foreach (string setting in settings)
        {
            var flag = Assert.Single(flags.All, f => f.Property == setting);
            Assert.Equal(flag.Name, CliErrors.FlagOf(setting));
        }
        Assert.Equal(flags.All.Count, flags.All.Select(f => f.Name).Distinct().Count());
        Assert.Equal("--accumulate: 0 must be at least 1",
            CliErrors.Describe(Assert.Throws<InvalidInputException>(() => (TrainingOptions.For("mnist") with { Accumulate = 0 }).Validate())));
        Assert.Equal("--crop-size: 5000 is more than 4096 pixels", CliErrors.Describe(Assert.Throws<InvalidInputException>(() =>
            (TrainingOptions.For("folder") with { Augmentation = new AugmentationOptions { ResizedCrop = 5000 } }).Validate())));
    }

    [Fact]
    public void Help_shows_each_default_as_the_registered_recipes_give_it()
    {
        var flags = new TrainingFlags();
        string Help(string name) => flags.All.Single(f => f.Name == name).Option.Description!;
        // Datasets other tests register in this process join the list (the registry is process-wide).
        Assert.Matches(@"\[fashion-mnist/mnist/cifar10/cifar100(/[\w-]+)* 6, folder(/[\w-]+)* 1(, [\w/-]+ [\d.]+)*\]$", Help("--mu"));
        Assert.EndsWith($"[{TrainingOptions.For("mnist").PDrop}]", Help("--p-drop"));
        Assert.EndsWith("[1]", Help("--seed"));
    }

    [Fact]
    public void The_command_line_written_for_a_recipe_reads_back_as_that_recipe()
    {
        var recipe = new TrainingRecipe
        {
            Options = TrainingOptions.For("cifar100") with
            {
                Architecture = "cifar100", Epochs = 7, Mu = 1e-5, PDrop = 0.25, Control = true, Nesterov = false, Seed = 3, ExcludeClasses = [4, 2],
                Augmentation = TrainingOptions.For("cifar100").Augmentation with { RandAugment = null, HorizontalFlip = false },
                Precision = CodedResNeXt.Runtime.Precision.BFloat16, Normalization = CodedResNeXt.Data.NormalizationSource.Dataset,
            },
            DataDir = "/data/cifar-100", CoarseLabels = true, Threads = 2, Workers = 3,
        };
        var flags = new TrainingFlags();
        var train = new Command("train");
        flags.AddTo(train);
        var arguments = flags.Arguments(recipe);
        Assert.Equal(["--dataset", "cifar100", "--data-dir", "/data/cifar-100", "--coarse-labels", "--workers", "3"], arguments.Take(7));
        var parsed = train.Parse(arguments.ToArray());
        Assert.Empty(parsed.Errors);
        var read = flags.Recipe(flags.Read(parsed), Enumerable.Range(0, 20).Select(k => k.ToString()).ToList());
        Assert.Equal(recipe with { Options = recipe.Options with { ExcludeClasses = [2, 4] } }, read);

        // The folder dataset's sizes are written whenever they are its: the recipe of a network of another side.
        var folder = new TrainingRecipe { Options = TrainingOptions.For("folder", 64) with { Folder = CodedResNeXt.Data.FolderGeometry.For(64, 80) } };
        var folderArguments = flags.Arguments(folder);
        Assert.Equal(["--dataset", "folder", "--image-size", "64", "--resize-size", "80"], folderArguments);
        Assert.Equal(folder, flags.Recipe(flags.Read(train.Parse(folderArguments.ToArray())), []));
    }
}
