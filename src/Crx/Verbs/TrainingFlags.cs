using System.CommandLine;
using System.Globalization;
using CodedResNeXt;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Training;

namespace Crx.Verbs;

/// <summary>
/// The flags that define a training run (shared by train, sweep and the experiment files' runs), declared once: one
/// table of (property, flag, how the value is read, help). The flags of each verb, the reading of a run's flags into
/// a <see cref="TrainingRecipe"/>, the comparison of --resume, the command line that reproduces a recipe and the flag
/// an error names (<see cref="Crx.Cli.CliErrors"/>) all come from it. A flag left out keeps the dataset's recipe
/// (<see cref="TrainingOptions.For"/>), which --help shows for each flag.
/// </summary>
internal sealed class TrainingFlags
{
    /// <summary>One flag: the property it sets (as the library's errors name it) and its option.</summary>
    public abstract class Flag(string property, Option option)
    {
        /// <summary>The property the flag sets, as <see cref="InvalidInputException"/> names it.</summary>
        public string Property { get; } = property;
        /// <summary>The option declared on the command.</summary>
        public Option Option { get; } = option;
        /// <summary>The flag as typed, e.g. --lr.</summary>
        public string Name => Option.Name;
        /// <summary>The recipe with the flag's value applied (the flag was given).</summary>
        public abstract TrainingRecipe Apply(TrainingRecipe recipe, TrainingFlagValues values, IReadOnlyList<string>? classNames);
        /// <summary>The recipe's value as the flag spells it (null: the flag does not show a recipe's value).</summary>
        public abstract string? Show(TrainingRecipe recipe);
        /// <summary>Whether the flag is part of what defines the run (a resumed run may not change it).</summary>
        public bool DefinesRun { get; init; } = true;
    }

    private sealed class Flag<T>(string property, Option<T> option, Func<TrainingRecipe, T, IReadOnlyList<string>?, TrainingRecipe>? apply,
        Func<TrainingRecipe, object?>? value) : Flag(property, option)
    {
        public override TrainingRecipe Apply(TrainingRecipe recipe, TrainingFlagValues values, IReadOnlyList<string>? classNames) =>
            apply is null ? recipe : apply(recipe, values.GetValue(option)!, classNames);

        public override string? Show(TrainingRecipe recipe) => value is null ? null : Text(value(recipe));
    }

    /// <summary>A value as a flag takes it: invariant numbers, lower-case words.</summary>
    public static string? Text(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        CodedResNeXt.Runtime.Precision p => Crx.Cli.PrecisionOption.Show(p),
        Enum e => e.ToString().ToLowerInvariant(),
        IEnumerable<int> list => string.Join(",", list),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    // Each flag's description ends with its default, read from every registered dataset's recipe.
    private static Option<T> Declare<T>(string name, string description, Func<TrainingOptions, object?>? defaultOf = null) =>
        new(name) { Description = defaultOf is null ? description : $"{description} {Default(defaultOf)}" };

    private Flag Options<T>(string property, string name, string description, Func<TrainingOptions, object?> value,
        Func<TrainingOptions, T, TrainingOptions> set, bool showDefault = true)
    {
        var option = Declare<T>(name, description, showDefault ? value : null);
        return new Flag<T>(property, option, (r, v, _) => v is null ? r : r with { Options = set(r.Options, v) }, r => value(r.Options));
    }

    /// <summary>Every flag, in --help's order.</summary>
    public IReadOnlyList<Flag> All { get; }

    /// <summary>The flags whose value is not a property of the recipe: the dataset, and how its files are read.</summary>
    public readonly Option<string> Dataset = new("--dataset") { Description = string.Join(" | ", DatasetRegistry.Names), DefaultValueFactory = _ => "fashion-mnist" };
    public readonly Option<bool> Download = new("--download") { Description = "CIFAR: fetch the official archive into --data-dir, verify its MD5 and unpack it" };
    public readonly Option<int?> ImageSize = new("--image-size") { Description = "folder: side of the network's input: evaluation's centre crop and the training crop [160]" };
    public readonly Option<int?> ResizeSize = new("--resize-size") { Description = "folder: evaluation scales the shorter side to this, then crops the centre [--image-size x 256/224]" };
    public readonly Option<long> MaxImagePixels = Crx.Cli.ImageLimitOption.Create();

    public TrainingFlags()
    {
        All =
        [
            new Flag<string>(nameof(TrainingOptions.Dataset), Dataset, null, r => r.Options.Dataset) { DefinesRun = false },
            new Flag<string?>(nameof(TrainingRecipe.DataDir), Declare<string?>("--data-dir", "Dataset folder (default for fashion-mnist: " + DatasetRegistry.FashionMnistDefaultDir + ")"),
                (r, v, _) => v is null ? r : r with { DataDir = v }, r => r.DataDir) { DefinesRun = false },
            new Flag<bool>(nameof(CodedResNeXt.Data.DatasetOptions.Download), Download, null, null) { DefinesRun = false },
            new Flag<bool>(nameof(TrainingRecipe.CoarseLabels), Declare<bool>("--coarse-labels", "CIFAR-100: train on the 20 coarse superclasses"),
                (r, v, _) => r with { CoarseLabels = v }, r => r.CoarseLabels) { DefinesRun = false },
            new Flag<int?>(nameof(CodedResNeXt.Data.DatasetOptions.ImageSize), ImageSize, null, r => r.Options.Folder?.Crop) { DefinesRun = false },
            new Flag<int?>(nameof(CodedResNeXt.Data.Augmentation.AugmentationOptions.ResizedCrop),
                Declare<int?>("--crop-size", "folder: side of the training random-resized crop [--image-size]"),
                (r, v, _) => v is not { } crop ? r : r.Options.Folder is null ? throw FolderOnly("--crop-size", r)
                    : r with { Options = r.Options with { Augmentation = r.Options.Augmentation with { ResizedCrop = crop } } },
                r => r.Options.Folder is null ? null : r.Options.Augmentation.ResizedCrop),
            new Flag<int?>(nameof(CodedResNeXt.Data.DatasetOptions.ResizeSize), ResizeSize, null, r => r.Options.Folder?.Resize) { DefinesRun = false },
            new Flag<int?>(nameof(TrainingSetup.Workers), Declare<int?>("--workers", "Threads decoding and augmenting batches ahead of the training step [all cores]"),
                (r, v, _) => v is null ? r : r with { Workers = v }, r => r.Workers) { DefinesRun = false },
            Options<string?>(nameof(TrainingOptions.Architecture), "--arch", "Preset (cifar10, cifar100, imagenet, fashion-small, …) or architecture JSON file",
                o => o.Architecture, (o, v) => o with { Architecture = v! }),
            new Flag<bool>(nameof(TrainingOptions.Control), Declare<bool>("--control", "Train the plain ResNeXt control: every block N/N, mu = 0"),
                (r, v, _) => r with { Options = r.Options with { Control = v } }, r => r.Options.Control),
            Options<int?>(nameof(TrainingOptions.Epochs), "--epochs", "Epochs", o => o.Epochs, (o, v) => o with { Epochs = v!.Value }),
            Options<int?>(nameof(TrainingOptions.BatchSize), "--batch", "Batch size", o => o.BatchSize, (o, v) => o with { BatchSize = v!.Value }),
            Options<int?>(nameof(TrainingOptions.Accumulate), "--accumulate",
                "Micro-batches of --batch whose gradients are summed per optimizer step (effective batch = batch x K; BN normalizes each micro-batch)",
                o => o.Accumulate, (o, v) => o with { Accumulate = v!.Value }),
            Options<double?>(nameof(TrainingOptions.LearningRate), "--lr", "Initial learning rate", o => o.LearningRate, (o, v) => o with { LearningRate = v!.Value }),
            Options<double?>(nameof(TrainingOptions.MinLearningRate), "--min-lr", "Learning rate at the end of the cosine", o => o.MinLearningRate,
                (o, v) => o with { MinLearningRate = v!.Value }),
            Options<double?>(nameof(TrainingOptions.WarmupEpochs), "--warmup", "Linear warm-up epochs", o => o.WarmupEpochs, (o, v) => o with { WarmupEpochs = v!.Value }),
            Options<double?>(nameof(TrainingOptions.WeightDecay), "--weight-decay", "Weight decay", o => o.WeightDecay, (o, v) => o with { WeightDecay = v!.Value }),
            Options<double?>(nameof(TrainingOptions.Momentum), "--momentum", "SGD momentum", o => o.Momentum, (o, v) => o with { Momentum = v!.Value }),
            Options<bool?>(nameof(TrainingOptions.Nesterov), "--nesterov", "Nesterov momentum", o => o.Nesterov, (o, v) => o with { Nesterov = v!.Value }),
            Options<double?>(nameof(TrainingOptions.Mu), "--mu", "Weight of the coding losses", o => o.Mu, (o, v) => o with { Mu = v!.Value }),
            Options<double?>(nameof(TrainingOptions.PDrop), "--p-drop", "dropSubNNs probability on coded blocks", o => o.PDrop, (o, v) => o with { PDrop = v!.Value }),
            Options<double?>(nameof(TrainingOptions.LossExponent), "--loss-exponent", "Exponent p of the coding loss", o => o.LossExponent,
                (o, v) => o with { LossExponent = v!.Value }),
            Options<double?>(nameof(TrainingOptions.LossThreshold), "--loss-threshold", "Threshold of the coding loss", o => o.LossThreshold,
                (o, v) => o with { LossThreshold = v!.Value }),
            Options<string?>(nameof(CodedResNeXt.Data.Augmentation.AugmentationOptions.RandAugment), "--randaugment", "RandAugment as n<ops>-m<magnitude>, or none",
                o => o.Augmentation.RandAugment?.ToString() ?? "none",
                (o, v) => o with { Augmentation = o.Augmentation with { RandAugment = v == "none" ? null : CodedResNeXt.Data.Augmentation.RandAugment.Parse(v!) } }),
            Options<int?>(nameof(CodedResNeXt.Data.Augmentation.AugmentationOptions.CropPadding), "--crop-padding", "Padding of the random crop, 0 for none",
                o => o.Augmentation.CropPadding, (o, v) => o with { Augmentation = o.Augmentation with { CropPadding = v!.Value } }),
            Options<bool?>(nameof(CodedResNeXt.Data.Augmentation.AugmentationOptions.HorizontalFlip), "--flip", "Random horizontal flips",
                o => o.Augmentation.HorizontalFlip, (o, v) => o with { Augmentation = o.Augmentation with { HorizontalFlip = v!.Value } }),
            new Flag<string?>(nameof(TrainingOptions.ExcludeClasses),
                Declare<string?>("--exclude-classes", "Classes (indices or names, comma-separated) left out of training, kept as out-of-distribution data"),
                // Its form is checked before the data loads; the names resolve once the class names are known.
                (r, v, names) => v is null ? r : names is null ? Checked(r, v) : r with { Options = r.Options with { ExcludeClasses = ClassList.Parse(v, names) } },
                r => r.Options.ExcludeClasses.Count == 0 ? "none" : string.Join(",", r.Options.ExcludeClasses.Order())),
            Options<string?>(nameof(TrainingOptions.Normalization), "--normalization",
                "Per-channel mean/std: published (the released code's constants, CIFAR only) or dataset (the training set's own)",
                o => o.Normalization, (o, v) => o with { Normalization = ParseNormalization(v!) }),
            Options<int?>(nameof(TrainingOptions.Seed), "--seed", "Seed of initialization, data order, augmentation and dropSubNNs", o => o.Seed,
                (o, v) => o with { Seed = v!.Value }),
            new Flag<int?>(nameof(TrainingSetup.Threads), Declare<int?>("--threads", "CPU threads [all cores]"),
                (r, v, _) => v is null ? r : r with { Threads = v }, r => r.Threads) { DefinesRun = false },
            new Flag<long>(nameof(CodedResNeXt.Data.DatasetOptions.MaxImagePixels), MaxImagePixels, null, null) { DefinesRun = false },
            new Flag<string?>(nameof(TrainingOptions.Precision), Crx.Cli.PrecisionOption.Create(),
                (r, v, _) => v is null ? r : r with { Options = r.Options with { Precision = Crx.Cli.PrecisionOption.Parse(v, r.Options.Precision) } },
                r => r.Options.Precision),
        ];
    }

    private static TrainingRecipe Checked(TrainingRecipe recipe, string classes)
    {
        ClassList.Items(classes, "--exclude-classes");
        return recipe;
    }

    private static InvalidInputException FolderOnly(string flag, TrainingRecipe r) =>
        new($"{flag}: only folder datasets are resized and cropped; {r.Options.Dataset} images keep their size");

    private static NormalizationSource ParseNormalization(string value) => value switch
    {
        "published" => NormalizationSource.Published,
        "dataset" => NormalizationSource.Dataset,
        _ => throw InvalidInputException.ForOption(nameof(TrainingOptions.Normalization), $"'{value}' is neither published nor dataset"),
    };

    /// <summary>
    /// A flag's default as --help shows it, read from every registered dataset's recipe: "[4]" when they agree, else
    /// each value with its datasets ("[fashion-mnist/mnist 3, cifar10/cifar100 300, folder 150]").
    /// </summary>
    private static string Default(Func<TrainingOptions, object?> of)
    {
        var byValue = DatasetRegistry.Names.GroupBy(name => Text(of(DatasetRegistry.Get(name).RecipeFor())) ?? "none").ToList();
        return byValue.Count == 1 ? $"[{byValue[0].Key}]" : "[" + string.Join(", ", byValue.Select(g => $"{string.Join("/", g)} {g.Key}")) + "]";
    }

    /// <summary>The flag that sets <paramref name="property"/> (as the library's errors name it), or null.</summary>
    public static string? FlagOf(string property) => Table.All.FirstOrDefault(f => f.Property == property)?.Name;

    // One instance to look flags up by property.
    private static readonly TrainingFlags Table = new();

    /// <summary>The flag named <paramref name="name"/> (e.g. --mu), or null.</summary>
    public Flag? Named(string name) => All.FirstOrDefault(f => f.Name == name);

    public void AddTo(Command command)
    {
        foreach (var flag in All) command.Options.Add(flag.Option);
    }

    /// <summary>How the images are read: the recipe's folder and sizes, with --download and the pixel limit.</summary>
    public DatasetOptions DatasetOptions(TrainingFlagValues p, TrainingRecipe recipe) => recipe.ReadingOptions() with
    {
        Download = p.GetValue(Download),
        MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(p.GetValue(MaxImagePixels)),
    };

    /// <summary>
    /// The recipe these flags give: <paramref name="basis"/> (a recipe file's, or a resumed run's) or the dataset's
    /// recipe, with every given flag applied, validated; class names resolve --exclude-classes (null: leave them
    /// unresolved, to check the other flags before the data loads).
    /// </summary>
    public TrainingRecipe Recipe(TrainingFlagValues p, IReadOnlyList<string>? classNames, TrainingRecipe? basis = null)
    {
        bool datasetGiven = p.IsGiven(Dataset) && (basis is null || DatasetRegistry.Canonical(p.GetValue(Dataset)!) != basis.Options.Dataset);
        int imageSize = p.GetValue(ImageSize) ?? basis?.Options.Folder?.Crop ?? 160;
        var recipe = basis is null || datasetGiven ? new TrainingRecipe { Options = TrainingOptions.For(p.GetValue(Dataset)!, imageSize) } with
        {
            DataDir = basis?.DataDir, Threads = basis?.Threads, Workers = basis?.Workers, InitFrom = basis?.InitFrom,
        } : basis;
        if (recipe.Options.Folder is not null)
        {
            if (p.GetValue(ImageSize) is not null || p.GetValue(ResizeSize) is not null)
                recipe = recipe with
                {
                    Options = recipe.Options with
                    {
                        Folder = FolderGeometry.For(imageSize, p.GetValue(ResizeSize) ?? (p.GetValue(ImageSize) is null ? recipe.Options.Folder.Resize : null)),
                        Augmentation = p.GetValue(ImageSize) is { } side && basis is not null && !datasetGiven
                            ? recipe.Options.Augmentation with { ResizedCrop = side } : recipe.Options.Augmentation,
                    },
                };
        }
        else if (p.GetValue(ResizeSize) is not null) throw FolderOnly(ResizeSize.Name, recipe);
        foreach (var flag in All)
            if (p.IsGiven(flag.Option)) recipe = flag.Apply(recipe, p, classNames);
        recipe.Options.Validate();
        new TrainingSetup { Threads = recipe.Threads ?? 1, Workers = recipe.Workers ?? 0 }.Validate();
        return recipe;
    }

    /// <summary>
    /// The recipe a resumed run continues with: the checkpoint's options, with --epochs (which may extend the run),
    /// --threads, --workers and --data-dir (where the data is, not what it is). Any other flag that defines the run, given with a value other than the run's, is
    /// refused, since it would be silently ignored or make the resumed run a different run.
    /// </summary>
    /// <param name="done">epochs the run has finished</param>
    public TrainingRecipe ForResume(TrainingFlagValues p, TrainingRecipe trained, IReadOnlyList<string> classNames, int done, string directory)
    {
        if (p.IsGiven(Dataset) && DatasetRegistry.Canonical(p.GetValue(Dataset)!) != trained.Options.Dataset)
            throw Changed(Dataset.Name, trained.Options.Dataset, p.GetValue(Dataset)!, directory);
        var asked = Recipe(p, classNames, trained);
        foreach (var flag in All.Where(f => f.DefinesRun && f.Property != nameof(TrainingOptions.Epochs) && p.IsGiven(f.Option)))
        {
            string? before = flag.Show(trained), after = flag.Show(asked);
            if (before != after) throw Changed(flag.Name, before ?? "none", after ?? "none", directory);
        }
        if (asked.Options.Epochs < done)
            throw InvalidInputException.ForOption(nameof(TrainingOptions.Epochs),
                $"the run in {directory} has already finished {done} epochs; give at least {done} to resume it");
        return trained with { Options = trained.Options with { Epochs = asked.Options.Epochs }, Threads = asked.Threads, Workers = asked.Workers, DataDir = asked.DataDir };
    }

    /// <summary>The dataset options a resumed run reloads its data with: image size and coarse labels follow the trained network.</summary>
    public DatasetOptions DatasetOptionsForResume(TrainingFlagValues p, TrainingRecipe trained, CodedResNeXt.Model.ArchitectureSpec network, string directory)
    {
        var entry = DatasetRegistry.Get(trained.Options.Dataset);
        bool coarse = entry.UsesCoarseLabels(network.Classes);
        var coarseFlag = All.Single(f => f.Property == nameof(TrainingRecipe.CoarseLabels)).Option;
        if (p.IsGiven(coarseFlag) && p.GetValue((Option<bool>)coarseFlag) != coarse)
            throw Changed(coarseFlag.Name, Text(coarse)!, Text(!coarse)!, directory);
        if (p.GetValue(ImageSize) is { } size && entry.FitsImagesToInput && size != network.ImageSize)
            throw Changed(ImageSize.Name, network.ImageSize.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), directory);
        var where = DatasetOptions(p, trained) with { CoarseLabels = coarse, ImageSize = network.ImageSize };
        return trained.Options.Folder is { } geometry ? where with { ImageSize = geometry.Crop, ResizeSize = geometry.Resize } : where;
    }

    private static InvalidInputException Changed(string flag, string before, string after, string directory) =>
        new($"{flag}: the run in {directory} was trained with {before}, not {after}; on --resume only --epochs (to extend the run) and --threads may change");

    /// <summary>
    /// The flags that give <paramref name="recipe"/> from its dataset's defaults: each flag whose value differs from the
    /// dataset's recipe, in the table's order (the dataset always). What `crx train` is given to reproduce it.
    /// </summary>
    public IReadOnlyList<string> Arguments(TrainingRecipe recipe)
    {
        int side = recipe.Options.Folder?.Crop ?? 160;
        var defaults = new TrainingRecipe { Options = TrainingOptions.For(recipe.Options.Dataset, side) };
        var arguments = new List<string> { Dataset.Name, recipe.Options.Dataset };
        foreach (var flag in All.Where(f => f.Option != Dataset))
        {
            string? value = flag.Show(recipe);
            if (value is null || value == flag.Show(defaults) && !(flag.Option == ImageSize && recipe.Options.Folder is not null)) continue;
            if (flag.Option is Option<bool>) { if (value == "true") arguments.Add(flag.Name); continue; }
            arguments.AddRange([flag.Name, value]);
        }
        return arguments;
    }

    /// <summary>The values of these flags on a command line, read once, so that a verb's Run reads no ParseResult.</summary>
    public TrainingFlagValues Read(ParseResult p)
    {
        var values = new Dictionary<Option, object?>();
        var given = new HashSet<Option>();
        foreach (var option in All.Select(f => f.Option))
        {
            // The typed read applies each flag's declared default (DefaultValueFactory) when it is left out.
            values[option] = option switch
            {
                Option<string> o => p.GetValue(o),
                Option<bool> o => p.GetValue(o),
                Option<bool?> o => p.GetValue(o),
                Option<int?> o => p.GetValue(o),
                Option<long> o => p.GetValue(o),
                Option<double?> o => p.GetValue(o),
                _ => throw new InvalidOperationException($"{option.Name}: a flag of a type TrainingFlags.Read does not read"),
            };
            if (p.GetResult(option) is { Implicit: false }) given.Add(option);
        }
        return new TrainingFlagValues(values, given);
    }
}

/// <summary>The training flags' values on one command line (<see cref="TrainingFlags.Read"/>), and which were given.</summary>
internal sealed class TrainingFlagValues(IReadOnlyDictionary<Option, object?> values, IReadOnlySet<Option> given)
{
    /// <summary>The flag's value: as given, else its default.</summary>
    public T? GetValue<T>(Option<T> option) => values.TryGetValue(option, out var value) && value is T typed ? typed : default;

    /// <summary>Whether the flag was on the command line (not merely defaulted).</summary>
    public bool IsGiven(Option option) => given.Contains(option);
}
