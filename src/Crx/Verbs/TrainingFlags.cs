using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Training;

namespace Crx.Verbs;

/// <summary>
/// The flags that define a training run (shared by train, quickstart and sweep). A flag left out keeps the
/// dataset's recipe (docs/method.md#training-recipe; Fashion-MNIST: docs/method.md#deviations-from-the-paper), shown in --help.
/// </summary>
internal sealed class TrainingFlags
{
    public readonly Option<string> Dataset = new("--dataset") { Description = "fashion-mnist | mnist | cifar10 | cifar100 | folder", DefaultValueFactory = _ => "fashion-mnist" };
    public readonly Option<string?> DataDir = new("--data-dir") { Description = "Dataset folder (default for fashion-mnist: " + DatasetRegistry.FashionMnistDefaultDir + ")" };
    public readonly Option<bool> Download = new("--download") { Description = "CIFAR: fetch the official archive into --data-dir, verify its MD5 and unpack it" };
    public readonly Option<bool> CoarseLabels = new("--coarse-labels") { Description = "CIFAR-100: train on the 20 coarse superclasses" };
    public readonly Option<int?> ImageSize = new("--image-size") { Description = "folder: side of the network's input: evaluation's centre crop and the training crop [160]" };
    public readonly Option<int?> CropSize = new("--crop-size") { Description = "folder: side of the training random-resized crop [--image-size]" };
    public readonly Option<int?> ResizeSize = new("--resize-size") { Description = "folder: evaluation scales the shorter side to this, then crops the centre [--image-size x 256/224]" };
    public readonly Option<int?> Workers = new("--workers") { Description = "Threads decoding and augmenting batches ahead of the training step [all cores]" };
    public readonly Option<string?> Arch = new("--arch") { Description = "Preset (cifar10, cifar100, imagenet, fashion-small, …) or architecture JSON file [per dataset]" };
    public readonly Option<bool> Control = new("--control") { Description = "Train the plain ResNeXt control: every block N/N, mu = 0" };
    public readonly Option<int?> Epochs = new("--epochs") { Description = "Epochs [cifar 300, folder 150, fashion-mnist 3]" };
    public readonly Option<int?> Batch = new("--batch") { Description = "Batch size [cifar 512, folder 1024, fashion-mnist 128]" };
    public readonly Option<int?> Accumulate = new("--accumulate") { Description = "Micro-batches of --batch whose gradients are summed per optimizer step (effective batch = batch x K; BN normalizes each micro-batch) [1]" };
    public readonly Option<double?> Lr = new("--lr") { Description = "Initial learning rate [cifar 0.1, folder 0.4, fashion-mnist 0.1]" };
    public readonly Option<double?> MinLr = new("--min-lr") { Description = "Learning rate at the end of the cosine [cifar 1e-4, folder 1e-5, fashion-mnist 0]" };
    public readonly Option<double?> Warmup = new("--warmup") { Description = "Linear warm-up epochs [folder 5, else 0]" };
    public readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "Weight decay [cifar 5e-4, folder 1e-4, fashion-mnist 5e-4]" };
    public readonly Option<double?> Momentum = new("--momentum") { Description = "SGD momentum [0.9]" };
    public readonly Option<bool?> Nesterov = new("--nesterov") { Description = "Nesterov momentum [true]" };
    public readonly Option<double?> Mu = new("--mu") { Description = "Weight of the coding losses [cifar 6, folder 1, fashion-mnist 6]" };
    public readonly Option<double?> PDrop = new("--p-drop") { Description = "dropSubNNs probability on coded blocks [0.1]" };
    public readonly Option<double?> LossExponent = new("--loss-exponent") { Description = "Exponent p of the coding loss [4]" };
    public readonly Option<double?> LossThreshold = new("--loss-threshold") { Description = "Threshold of the coding loss [0]" };
    public readonly Option<string?> RandAugment = new("--randaugment") { Description = "RandAugment as n<ops>-m<magnitude>, or none [cifar10 n3-m4, cifar100 n1-m2, folder n2-m10, fashion-mnist none]" };
    public readonly Option<int?> CropPadding = new("--crop-padding") { Description = "Padding of the random crop, 0 for none [4]" };
    public readonly Option<bool?> Flip = new("--flip") { Description = "Random horizontal flips [true, mnist false]" };
    public readonly Option<string?> ExcludeClasses = new("--exclude-classes") { Description = "Classes (indices or names, comma-separated) left out of training, kept as out-of-distribution data" };
    public readonly Option<string?> Normalization = new("--normalization") { Description = "Per-channel mean/std: published (the released code's constants, CIFAR only) or dataset (the training set's own) [cifar published, else dataset]" };
    public readonly Option<int?> Seed = new("--seed") { Description = "Seed of initialization, data order, augmentation and dropSubNNs [1]" };
    public readonly Option<int?> Threads = new("--threads") { Description = "CPU threads [all cores]" };
    public readonly Option<long> MaxImagePixels = Crx.Cli.ImageLimitOption.Create();
    public readonly Option<string?> Precision = Crx.Cli.PrecisionOption.Create();

    private Option[] All =>
    [
        Dataset, DataDir, Download, CoarseLabels, ImageSize, CropSize, ResizeSize, Workers, Arch, Control, Epochs, Batch, Accumulate, Lr, MinLr, Warmup,
        WeightDecay, Momentum, Nesterov, Mu, PDrop, LossExponent, LossThreshold, RandAugment, CropPadding, Flip,
        ExcludeClasses, Normalization, Seed, Threads, MaxImagePixels, Precision,
    ];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    public DatasetOptions DatasetOptions(TrainingFlagValues p) => new()
    {
        DataDir = p.GetValue(DataDir),
        Download = p.GetValue(Download),
        CoarseLabels = p.GetValue(CoarseLabels),
        ImageSize = p.GetValue(ImageSize) ?? 160,
        ResizeSize = p.GetValue(ResizeSize),
        MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(p.GetValue(MaxImagePixels)),
    };

    /// <summary>
    /// The dataset's recipe (or <paramref name="basis"/>) with every given flag applied, validated; class names
    /// resolve --exclude-classes (null: leave them unresolved, to validate the other flags before loading data).
    /// </summary>
    public TrainingOptions Options(TrainingFlagValues p, IReadOnlyList<string>? classNames, TrainingOptions? basis = null)
    {
        int imageSize = p.GetValue(ImageSize) ?? 160;
        var o = basis ?? TrainingOptions.For(p.GetValue(Dataset)!, imageSize);
        var aug = o.Augmentation;
        if (o.Folder is not null)
        {
            // A resumed run keeps the geometry it was trained with (its checkpoint's options are the basis).
            if (basis is null) o = o with { Folder = FolderGeometry.For(imageSize, p.GetValue(ResizeSize)) };
            if (p.GetValue(CropSize) is { } crop) aug = aug with
            {
                ResizedCrop = Positive(crop, "--crop-size") <= FolderGeometry.MaxSide ? crop
                    : throw new InvalidInputException($"--crop-size: {crop} is more than {FolderGeometry.MaxSide} pixels"),
            };
        }
        else
        {
            foreach (var folderOnly in new[] { CropSize, ResizeSize })
                if (p.GetValue(folderOnly) is not null)
                    throw new InvalidInputException($"{folderOnly.Name}: only folder datasets are resized and cropped; {o.Dataset} images keep their size");
        }
        string? randAugment = p.GetValue(RandAugment);
        if (randAugment is not null)
            aug = aug with { RandAugment = randAugment == "none" ? null : CodedResNeXt.Data.Augmentation.RandAugment.Parse(randAugment) };
        if (p.GetValue(CropPadding) is { } padding)
            aug = aug with { CropPadding = padding >= 0 ? padding : throw new InvalidInputException($"--crop-padding: {padding} is negative") };
        if (p.GetValue(Flip) is { } flip) aug = aug with { HorizontalFlip = flip };
        string? excluded = p.GetValue(ExcludeClasses);
        if (excluded is not null) ClassList.Items(excluded, "--exclude-classes"); // its form is checked before the data loads
        var options = o with
        {
            Architecture = p.GetValue(Arch) ?? o.Architecture,
            Control = Given(p, Control) ? p.GetValue(Control) : o.Control,
            Epochs = Positive(p.GetValue(Epochs) ?? o.Epochs, "--epochs"),
            BatchSize = Positive(p.GetValue(Batch) ?? o.BatchSize, "--batch"),
            Accumulate = Positive(p.GetValue(Accumulate) ?? o.Accumulate, "--accumulate"),
            LearningRate = p.GetValue(Lr) ?? o.LearningRate,
            MinLearningRate = p.GetValue(MinLr) ?? o.MinLearningRate,
            WarmupEpochs = p.GetValue(Warmup) ?? o.WarmupEpochs,
            WeightDecay = p.GetValue(WeightDecay) ?? o.WeightDecay,
            Momentum = p.GetValue(Momentum) ?? o.Momentum,
            Nesterov = p.GetValue(Nesterov) ?? o.Nesterov,
            Mu = p.GetValue(Mu) ?? o.Mu,
            PDrop = p.GetValue(PDrop) ?? o.PDrop,
            LossExponent = p.GetValue(LossExponent) ?? o.LossExponent,
            LossThreshold = p.GetValue(LossThreshold) ?? o.LossThreshold,
            Augmentation = aug,
            Seed = p.GetValue(Seed) ?? o.Seed,
            // A resumed run made on a larger machine keeps its thread count only up to this machine's cores.
            Threads = p.GetValue(Threads) ?? Math.Min(o.Threads, Environment.ProcessorCount),
            Workers = p.GetValue(Workers) is { } workers ? Positive(workers, "--workers") : o.Workers,
            Precision = Crx.Cli.PrecisionOption.Parse(p.GetValue(Precision), o.Precision),
            ExcludeClasses = excluded is null || classNames is null ? o.ExcludeClasses : ClassList.Parse(excluded, classNames),
            Normalization = p.GetValue(Normalization) switch
            {
                null => o.Normalization,
                "published" => NormalizationSource.Published,
                "dataset" => NormalizationSource.Dataset,
                var other => throw new InvalidInputException($"--normalization: '{other}' is neither published nor dataset"),
            },
        };
        options.Validate();
        return options;
    }

    /// <summary>
    /// The options a resumed run continues with: the checkpoint's, except --epochs (which may extend the run) and
    /// --threads. Any other training flag given with a value other than the run's is refused, since it would be
    /// silently ignored or make the resumed run a different run.
    /// </summary>
    /// <param name="done">epochs the run has finished</param>
    public TrainingOptions ForResume(TrainingFlagValues p, TrainingOptions trained, IReadOnlyList<string> classNames, int done, string directory)
    {
        if (Given(p, Dataset) && DatasetRegistry.Canonical(p.GetValue(Dataset)!) != trained.Dataset)
            throw Changed("--dataset", trained.Dataset, p.GetValue(Dataset)!, directory);
        var asked = Options(p, classNames, trained);
        foreach (var (option, value) in Compared())
        {
            if (!Given(p, option)) continue;
            string before = value(trained), after = value(asked);
            if (before != after) throw Changed(option.Name, before, after, directory);
        }
        if (asked.Epochs < done)
            throw new InvalidInputException($"--epochs: the run in {directory} has already finished {done} epochs; give at least {done} to resume it");
        return trained with { Epochs = asked.Epochs, Threads = asked.Threads };
    }

    /// <summary>The dataset options a resumed run reloads its data with: image size and coarse labels follow the trained network.</summary>
    public DatasetOptions DatasetOptionsForResume(TrainingFlagValues p, CodedResNeXt.Model.ArchitectureSpec trained, string dataset, string directory)
    {
        bool coarse = DatasetRegistry.Get(dataset).UsesCoarseLabels(trained.Classes);
        if (Given(p, CoarseLabels) && p.GetValue(CoarseLabels) != coarse)
            throw Changed("--coarse-labels", coarse ? "true" : "false", p.GetValue(CoarseLabels) ? "true" : "false", directory);
        if (p.GetValue(ImageSize) is { } size && DatasetRegistry.Get(dataset).FitsImagesToInput && size != trained.ImageSize)
            throw Changed("--image-size", trained.ImageSize.ToString(), size.ToString(), directory);
        return DatasetOptions(p) with { CoarseLabels = coarse, ImageSize = trained.ImageSize };
    }

    private static InvalidInputException Changed(string flag, string before, string after, string directory) =>
        new($"{flag}: the run in {directory} was trained with {before}, not {after}; on --resume only --epochs (to extend the run) and --threads may change");

    /// <summary>Every flag --resume compares with the run's value, as the value is shown in the error.</summary>
    private IEnumerable<(Option Option, Func<TrainingOptions, string> Value)> Compared()
    {
        static string N(double x) => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        static string B(bool x) => x ? "true" : "false";
        yield return (Arch, o => o.Architecture);
        yield return (Control, o => B(o.Control));
        yield return (Batch, o => o.BatchSize.ToString());
        yield return (Accumulate, o => o.Accumulate.ToString());
        yield return (Lr, o => N(o.LearningRate));
        yield return (MinLr, o => N(o.MinLearningRate));
        yield return (Warmup, o => N(o.WarmupEpochs));
        yield return (WeightDecay, o => N(o.WeightDecay));
        yield return (Momentum, o => N(o.Momentum));
        yield return (Nesterov, o => B(o.Nesterov));
        yield return (Mu, o => N(o.Mu));
        yield return (PDrop, o => N(o.PDrop));
        yield return (LossExponent, o => N(o.LossExponent));
        yield return (LossThreshold, o => N(o.LossThreshold));
        yield return (RandAugment, o => o.Augmentation.RandAugment is { } r ? $"n{r.Ops}-m{r.Magnitude}" : "none");
        yield return (CropPadding, o => o.Augmentation.CropPadding.ToString());
        yield return (Flip, o => B(o.Augmentation.HorizontalFlip));
        yield return (ExcludeClasses, o => o.ExcludeClasses.Count == 0 ? "none" : string.Join(",", o.ExcludeClasses.Order()));
        yield return (Seed, o => o.Seed.ToString());
        yield return (Normalization, o => o.Normalization.ToString().ToLowerInvariant());
        yield return (Precision, o => Crx.Cli.PrecisionOption.Show(o.Precision));
    }

    /// <summary>True when the flag was on the command line (not merely defaulted).</summary>
    public static bool Given(TrainingFlagValues p, Option option) => p.IsGiven(option);

    /// <summary>The values of these flags on a command line, read once, so that a verb's Run reads no ParseResult.</summary>
    public TrainingFlagValues Read(ParseResult p)
    {
        var values = new Dictionary<Option, object?>();
        var given = new HashSet<Option>();
        foreach (var option in All)
        {
            // The typed read applies each flag's declared default (DefaultValueFactory) when it is left out.
            values[option] = option switch
            {
                Option<string> o => p.GetValue(o),
                Option<bool> o => p.GetValue(o),
                Option<bool?> o => p.GetValue(o),
                Option<int> o => p.GetValue(o),
                Option<int?> o => p.GetValue(o),
                Option<long> o => p.GetValue(o),
                Option<long?> o => p.GetValue(o),
                Option<double> o => p.GetValue(o),
                Option<double?> o => p.GetValue(o),
                _ => throw new InvalidOperationException($"{option.Name}: a flag of a type TrainingFlags.Read does not read"),
            };
            if (p.GetResult(option) is { Implicit: false }) given.Add(option);
        }
        return new TrainingFlagValues(values, given);
    }

    private static int Positive(int value, string flag) =>
        value >= 1 ? value : throw new InvalidInputException($"{flag}: {value} must be at least 1");
}

/// <summary>The training flags' values on one command line (<see cref="TrainingFlags.Read"/>), and which were given.</summary>
internal sealed class TrainingFlagValues(IReadOnlyDictionary<Option, object?> values, IReadOnlySet<Option> given)
{
    /// <summary>The flag's value: as given, else its default.</summary>
    public T? GetValue<T>(Option<T> option) => values.TryGetValue(option, out var value) && value is T typed ? typed : default;

    /// <summary>Whether the flag was on the command line (not merely defaulted).</summary>
    public bool IsGiven(Option option) => given.Contains(option);
}
