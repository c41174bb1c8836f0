using System.Collections.Concurrent;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Training;

namespace CodedResNeXt.Data;

/// <summary>
/// The datasets by name, one <see cref="DatasetDefinition"/> each: "fashion-mnist", "mnist", "cifar10", "cifar100",
/// "folder" (ImageNet-style train/ and val/ class folders), and any a user registers. Everything that depends on which
/// dataset a run used (its reader, class names, normalization, recipe) is read from its entry, never from its name.
/// </summary>
public static class DatasetRegistry
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the IDX files; Fashion-MNIST's data directory when none is given.</summary>
    public const string FashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>The entry of image folders, the dataset of any network whose data is not a registered dataset.</summary>
    public const string FolderName = "folder";

    // Fashion-MNIST is not in the paper. 28x28 grayscale items are easy to fit and CPU time is scarce: a small preset,
    // batch 128 so a short run still takes many SGD steps, CIFAR's lr/decay/mu/p_drop, cosine to zero; flips only, the
    // augmentation of the calibration run (90.9 % after 3 epochs): no RandAugment or crop, since short runs fit the clean
    // data first (docs/method.md#deviations-from-the-paper). MNIST takes the same recipe but the crop instead of flips:
    // mirrored digits are other glyphs.
    private static TrainingOptions SmallGrayscale(string name, AugmentationOptions augmentation) => new()
    {
        Dataset = name, Augmentation = augmentation, Architecture = "fashion-small", Epochs = 3, BatchSize = 128,
        LearningRate = 0.1, MinLearningRate = 0, WeightDecay = 5e-4, Mu = 6,
    };

    // The paper's CIFAR recipe (docs/method.md#training-recipe): 300 epochs, batch 512, SGD 0.1 cosine to 1e-4, decay 5e-4, mu 6.
    private static TrainingOptions Cifar(string name, AugmentationOptions augmentation) => new()
    {
        Dataset = name, Augmentation = augmentation, Architecture = name, Epochs = 300, BatchSize = 512, LearningRate = 0.1,
        MinLearningRate = 1e-4, WeightDecay = 5e-4, Mu = 6, Normalization = NormalizationSource.Published,
    };

    private static readonly DatasetDefinition[] BuiltIn =
    [
        new()
        {
            Name = "fashion-mnist", Aliases = ["fashion_mnist", "fashionmnist"], ClassNames = IdxFormat.FashionMnistClasses,
            DefaultDataDirectory = FashionMnistDefaultDir,
            Load = o => IdxFormat.LoadDirectory(o.DataDir ?? FashionMnistDefaultDir, "fashion-mnist", IdxFormat.FashionMnistClasses),
            LoadValidation = o => IdxFormat.LoadTestSplit(o.DataDir ?? FashionMnistDefaultDir, "fashion-mnist", IdxFormat.FashionMnistClasses),
            Recipe = SmallGrayscale("fashion-mnist", new() { HorizontalFlip = true }),
        },
        new()
        {
            Name = "mnist", ClassNames = IdxFormat.MnistClasses,
            Load = o => IdxFormat.LoadDirectory(RequireDir(o, "mnist"), "mnist", IdxFormat.MnistClasses),
            LoadValidation = o => IdxFormat.LoadTestSplit(RequireDir(o, "mnist"), "mnist", IdxFormat.MnistClasses),
            Recipe = SmallGrayscale("mnist", new() { CropPadding = 4 }),
        },
        new()
        {
            Name = "cifar10", Aliases = ["cifar-10"], Downloadable = true,
            ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
            PublishedNormalization = new([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]),
            Load = o => CifarFormat.LoadCifar10(Fetched(o, "cifar10", "data_batch_1.bin", CifarArchive.Cifar10)),
            LoadValidation = o => CifarFormat.LoadCifar10Test(RequireDir(o, "cifar10")),
            Recipe = Cifar("cifar10", new() { RandAugment = new RandAugment(3, 4), CropPadding = 4, HorizontalFlip = true }),
        },
        new()
        {
            Name = "cifar100", Aliases = ["cifar-100"], Downloadable = true, CoarseClassCount = 20,
            ClassNames = Cifar100Classes,
            PublishedNormalization = new([0.5071f, 0.4867f, 0.4408f], [0.2673f, 0.2564f, 0.2762f]),
            Load = o => CifarFormat.LoadCifar100(Fetched(o, "cifar100", "train.bin", CifarArchive.Cifar100), o.CoarseLabels),
            LoadValidation = o => CifarFormat.LoadCifar100Test(RequireDir(o, "cifar100"), o.CoarseLabels),
            Recipe = Cifar("cifar100", new() { RandAugment = new RandAugment(1, 2), CropPadding = 4, HorizontalFlip = true }),
        },
        new()
        {
            // ImageNet's recipe: random-resized crop to the input side, flip, RandAugment n2-m10; 150 epochs, batch 1024,
            // lr 0.4 with 5 warm-up epochs, cosine to 1e-5, decay 1e-4, mu 1.
            Name = FolderName, FitsImagesToInput = true,
            Load = o => FolderFormat.Load(RequireDir(o, FolderName), FolderGeometry.For(o.ImageSize, o.ResizeSize), o.MaxImagePixels),
            Recipe = new()
            {
                Dataset = FolderName, Architecture = "imagenet", Epochs = 150, BatchSize = 1024, LearningRate = 0.4,
                MinLearningRate = 1e-5, WarmupEpochs = 5, WeightDecay = 1e-4, Mu = 1,
                Augmentation = new() { ResizedCrop = 160, HorizontalFlip = true, RandAugment = new RandAugment(2, 10) },
                Folder = FolderGeometry.For(160),
            },
        },
    ];

    private static readonly ConcurrentDictionary<string, DatasetDefinition> Entries = new();
    private static readonly ConcurrentDictionary<string, string> Spellings = new();
    private static readonly List<string> Order = [];

    static DatasetRegistry()
    {
        foreach (var entry in BuiltIn) Register(entry);
    }

    /// <summary>The canonical names of every registered dataset, built-in ones first, in registration order.</summary>
    public static IReadOnlyList<string> Names { get { lock (Order) return Order.ToList(); } }

    /// <summary>
    /// Adds a dataset, so that every part of the library (training, evaluation, model files, the tool's --dataset) knows
    /// it by name. A name or alias already taken is refused: entries are not replaced, so a model file always means
    /// the dataset it was trained on.
    /// </summary>
    public static void Register(DatasetDefinition dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        string name = Key(dataset.Name);
        if (name.Length == 0) throw new ArgumentException("a dataset needs a name", nameof(dataset));
        if (name != dataset.Name) throw new ArgumentException($"dataset names are lower case without surrounding spaces: '{dataset.Name}'", nameof(dataset));
        if (Key(dataset.Recipe.Dataset) != name)
            throw new ArgumentException($"the recipe of '{name}' names the dataset '{dataset.Recipe.Dataset}'", nameof(dataset));
        lock (Order)
        {
            var spellings = dataset.Aliases.Select(Key).Prepend(name).Distinct().ToList();
            if (spellings.FirstOrDefault(Spellings.ContainsKey) is { } taken)
                throw new ArgumentException($"the dataset name '{taken}' is already registered (as {Spellings[taken]})", nameof(dataset));
            Entries[name] = dataset;
            foreach (var s in spellings) Spellings[s] = name;
            Order.Add(name);
        }
    }

    /// <summary>The entry of a dataset by any of its spellings (case and "cifar-10" style dashes forgiven).</summary>
    public static DatasetDefinition Get(string name) => TryGet(name)
        ?? throw InvalidInputException.ForOption("Dataset", $"unknown dataset '{name}'; expected one of {string.Join(", ", Names)}");

    /// <summary>The entry of a dataset, or null when no registered dataset has that name.</summary>
    public static DatasetDefinition? TryGet(string? name) =>
        name is not null && Spellings.TryGetValue(Key(name), out var canonical) ? Entries[canonical] : null;

    /// <summary>
    /// The dataset whose default recipe trains <paramref name="architecture"/> and whose normalization the released code
    /// publishes (cifar10 for the cifar10 preset), or null: the data an imported network of the authors was trained on.
    /// </summary>
    public static DatasetDefinition? WithPublishedRecipeFor(string architecture) =>
        Names.Select(n => Entries[n]).FirstOrDefault(d => d.PublishedNormalization is not null && d.Recipe.Architecture == architecture);

    /// <summary>Loads the train and test sets of the named dataset.</summary>
    public static DatasetSplits Load(string name, DatasetOptions options)
    {
        var dataset = Get(name);
        if (options.Download && !dataset.Downloadable)
            throw InvalidInputException.ForOption("Download", $"only {string.Join(" and ", Names.Where(n => Entries[n].Downloadable))} can be downloaded, not {dataset.Name}");
        return dataset.Load(options);
    }

    /// <summary>
    /// Loads only the test split of the named dataset, the one evaluation and OOD negatives use: its training
    /// files need not be present. Folder datasets are read whole (their format has no cheaper path).
    /// </summary>
    public static ImageDataset LoadValidation(string name, DatasetOptions options) => Get(name).LoadTestSplit(options);

    /// <summary>The catalogue spelling of a dataset name (case and "cifar-10" style dashes forgiven).</summary>
    public static string Canonical(string name) => Get(name).Name;

    private static string Key(string name) => name.Trim().ToLowerInvariant();

    private static string RequireDir(DatasetOptions options, string key) =>
        options.DataDir ?? throw InvalidInputException.ForOption("DataDir", $"required for {key}");

    /// <summary>The CIFAR directory, downloading the archive first when asked and the files are missing.</summary>
    private static string Fetched(DatasetOptions options, string key, string marker, CifarArchive archive)
    {
        string dir = RequireDir(options, key);
        if (!options.Download || CifarFormat.Locate(dir, marker, archive.TopFolder) is not null) return dir;
        return CifarDownload.Fetch(archive, dir, options.DownloadBaseUrl, options.DownloadProgress);
    }

    /// <summary>CIFAR-100's fine classes in label order (fine_label_names.txt).</summary>
    private static IReadOnlyList<string> Cifar100Classes =>
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];
}
