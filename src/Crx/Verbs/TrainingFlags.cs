using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Training;

namespace Crx.Verbs;

/// <summary>
/// The flags that define a training run (shared by train, quickstart and sweep). A flag left out keeps the
/// dataset's recipe (SPEC section 7; Fashion-MNIST: see README), shown in --help.
/// </summary>
internal sealed class TrainingFlags
{
    public readonly Option<string> Dataset = new("--dataset") { Description = "fashion-mnist | mnist | cifar10 | cifar100 | folder", DefaultValueFactory = _ => "fashion-mnist" };
    public readonly Option<string?> DataDir = new("--data-dir") { Description = "Dataset folder (default for fashion-mnist: " + DatasetCatalog.FashionMnistDefaultDir + ")" };
    public readonly Option<bool> Download = new("--download") { Description = "CIFAR: fetch the official archive into --data-dir, verify its MD5 and unpack it" };
    public readonly Option<bool> CoarseLabels = new("--coarse-labels") { Description = "CIFAR-100: train on the 20 coarse superclasses" };
    public readonly Option<int?> ImageSize = new("--image-size") { Description = "folder: side of the stored images [160]" };
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
    public readonly Option<int?> Seed = new("--seed") { Description = "Seed of initialization, data order, augmentation and dropSubNNs [1]" };
    public readonly Option<int?> Threads = new("--threads") { Description = "CPU threads [all cores]" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Dataset, DataDir, Download, CoarseLabels, ImageSize, Arch, Control, Epochs, Batch, Accumulate, Lr, MinLr, Warmup,
                     WeightDecay, Momentum, Nesterov, Mu, PDrop, LossExponent, LossThreshold, RandAugment, CropPadding, Flip,
                     ExcludeClasses, Seed, Threads,
                 })
            command.Options.Add(option);
    }

    public DatasetOptions DatasetOptions(ParseResult p) => new()
    {
        DataDir = p.GetValue(DataDir),
        Download = p.GetValue(Download),
        CoarseLabels = p.GetValue(CoarseLabels),
        ImageSize = p.GetValue(ImageSize) ?? 160,
    };

    /// <summary>The dataset's recipe with every given flag applied; class names resolve --exclude-classes.</summary>
    public TrainingOptions Options(ParseResult p, IReadOnlyList<string> classNames)
    {
        var o = TrainingOptions.For(p.GetValue(Dataset)!);
        var aug = o.Augmentation;
        string? randAugment = p.GetValue(RandAugment);
        if (randAugment is not null)
            aug = aug with { RandAugment = randAugment == "none" ? null : CodedResNeXt.Data.Augmentation.RandAugment.Parse(randAugment) };
        if (p.GetValue(CropPadding) is { } padding)
            aug = aug with { CropPadding = padding >= 0 ? padding : throw new InvalidInputException($"--crop-padding: {padding} is negative") };
        if (p.GetValue(Flip) is { } flip) aug = aug with { HorizontalFlip = flip };
        string? excluded = p.GetValue(ExcludeClasses);
        return o with
        {
            Architecture = p.GetValue(Arch) ?? o.Architecture,
            Control = p.GetValue(Control),
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
            Threads = Positive(p.GetValue(Threads) ?? o.Threads, "--threads"),
            ExcludeClasses = excluded is null ? [] : ClassList.Parse(excluded, classNames),
        };
    }

    private static int Positive(int value, string flag) =>
        value >= 1 ? value : throw new InvalidInputException($"{flag}: {value} must be at least 1");
}
