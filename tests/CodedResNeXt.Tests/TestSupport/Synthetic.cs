using CodedResNeXt.Data;
using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>Tiny data and networks the tests make themselves, so nothing takes more than seconds.</summary>
public static class Synthetic
{
    public const int Classes = 10;
    public const int Side = 8;

    /// <summary>
    /// Grayscale 8x8 images in 10 separable classes: class k is a bright 2x2 patch at one of 10 positions,
    /// on uniform noise.
    /// </summary>
    public static ImageDataset Images(int count, int seed, string name = "synthetic")
    {
        var rng = new Random(seed);
        var pixels = new byte[count * Side * Side];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = i % Classes;
            labels[i] = k;
            var image = pixels.AsSpan(i * Side * Side, Side * Side);
            for (int p = 0; p < image.Length; p++) image[p] = (byte)rng.Next(0, 60);
            int top = 2 * (k / 5) + 1, left = (k % 5) + 1;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    image[(top + dy) * Side + left + dx] = (byte)rng.Next(200, 256);
        }
        return new ImageDataset(name, pixels, labels, Enumerable.Range(0, Classes).Select(k => $"class{k}").ToList(), 1, Side, Side);
    }

    public static DatasetSplits Splits(int train = 200, int test = 100) => new(Images(train, 1, "synthetic"), Images(test, 2, "synthetic"));

    /// <summary>
    /// A 10-class coded network for 1x8x8 input with the paper's CIFAR-10 schemes: one uncoded block, two coded
    /// 5/10 blocks (sharing their dropSubNNs mask), one coded 3/10 block.
    /// </summary>
    public static ArchitectureSpec Architecture(double pDrop = 0.1) => new("tiny", Classes, 1, Side, new StemSpec(1, 8, 3, 1, MaxPool: false),
    [
        new BlockSpec("c2", 8, 8, 1, 10, 1),
        new BlockSpec("c3", 8, 16, 1, 10, 2, "cifar10/5/10", pDrop),
        new BlockSpec("c3", 16, 16, 1, 10, 1, "cifar10/5/10", pDrop),
        new BlockSpec("c4", 16, 16, 2, 10, 2, "cifar10/3/10", pDrop),
    ]);

    /// <summary>Writes <see cref="Architecture"/> as a JSON file in <paramref name="directory"/> and returns its path.</summary>
    public static string ArchitectureFile(string directory, double pDrop = 0.1)
    {
        string path = Path.Combine(directory, "tiny.json");
        CodedResNeXt.Model.ArchitectureFile.Save(Architecture(pDrop), path);
        return path;
    }

    /// <summary>The recipe every test uses to train on the synthetic data: seconds on one thread.</summary>
    public static CodedResNeXt.Training.TrainingOptions Training(string architecture, int epochs) =>
        CodedResNeXt.Training.TrainingOptions.For("fashion-mnist") with
        {
            Architecture = architecture,
            Epochs = epochs,
            BatchSize = 20,
            LearningRate = 0.1,
            Seed = 7,
            // The synthetic classes are positions: flips and shifts would change the class.
            Augmentation = CodedResNeXt.Data.Augmentation.AugmentationOptions.None,
        };

    /// <summary>A training run on the synthetic splits (no class held out) into <paramref name="directory"/>.</summary>
    internal static CodedResNeXt.Training.TrainingRun Run(CodedResNeXt.Training.TrainingOptions options, string directory, int? maxSteps = null, string? initFrom = null) =>
        new(options, CodedResNeXt.Training.TrainingData.From(Splits(), []), directory, CodedResNeXt.CodingSchemes.CodingSchemeSet.BuiltInsAndFiles)
        {
            MaxSteps = maxSteps, InitFrom = initFrom,
        };
}
