using CodedResNeXt.Evaluation;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Analysis;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.Report;

/// <summary>
/// Hand-made analysis results that look like a trained 10-class model: two coded blocks of N = 10 (blocks 5 and 8,
/// the published CIFAR-10 5/10 and 3/10 schemes), energies that follow the codewords, histograms of well separated
/// binary classifiers, and three example paths (a grey 28x28, an RGB 32x32 and a misclassified grey image).
/// Every number is a simple function of the class index, so tests can recompute what the page must show.
/// </summary>
public static class SampleResults
{
    public const int Classes = 10;
    public static readonly int[] CodedBlocks = [5, 8];
    public static readonly string[] Schemes = ["cifar10/5/10", "cifar10/3/10"];
    public const long TotalParameters = 4_639_000;
    public const int PositivesPerClass = 100;

    public static readonly string[] FashionNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <param name="coded">false: a plain network (no coded blocks, so no early decoding, specialization, codewords or path energies)</param>
    /// <param name="ood">false: no out-of-distribution negatives were scored</param>
    public static AnalysisResults Build(bool coded = true, bool ood = true, IReadOnlyList<string>? classNames = null)
    {
        var names = classNames ?? FashionNames;
        var schemes = coded ? Schemes.Select(BuiltInSchemes.Get).ToList() : [];
        var early = coded
            ? new EarlyDecodingResult(0.91, CodedBlocks, [0.62, 0.88], [0.64, 0.93])
            : new EarlyDecodingResult(0.91, [], [], []);
        var specialization = coded
            ? new SpecializationResult(CodedBlocks[0], Schemes[0], 0.91, [0.80, 0.62, 0.41, 0.22, 0.10], [0.91, 0.915, 0.92, 0.92, 0.925])
            : null;
        var profiles = schemes.Select((s, b) => new BlockEnergyProfile(CodedBlocks[b], s.Name, s.ToStrings(),
            Enumerable.Range(0, Classes).Select(k => EnergiesFollowing(s.ToStrings()[k], seed: 100 * b + k)).ToList())).ToList();
        return new AnalysisResults(
            Checkpoint: "runs/fashion/last.ckpt",
            Architecture: "fashion-tiny",
            Dataset: "fashion-mnist",
            ClassNames: names,
            OodSource: ood ? "mnist" : null,
            EarlyDecoding: early,
            Specialization: specialization,
            BinaryClassifiers: Enumerable.Range(0, Classes).Select(k => Classifier(k, names[k], coded, ood)).ToList(),
            EnergyProfiles: profiles,
            ExamplePaths: [Path(0, 3, 3, channels: 1, side: 28, profiles), Path(1, 7, 7, channels: 3, side: 32, profiles),
                Path(2, 6, 0, channels: 1, side: 28, profiles)]);
    }

    /// <summary>Class k's classifier: recall (90 - k) %, in-distribution precision (90 - k) / 90; against OOD negatives 20 + 2k false positives.</summary>
    public static BinaryScores InDistribution(int k) => new(Threshold(k), 90 - k, k, 10 + k);

    public static BinaryScores OutOfDistribution(int k) => new(Threshold(k), 90 - k, 20 + 2 * k, 10 + k);

    public static double Threshold(int k) => 2.0 + 0.1 * k;

    public static long Parameters(int k) => 2_149_000 + 1_000 * k;

    static BinaryClassifierResult Classifier(int k, string name, bool coded, bool ood)
    {
        long parameters = coded ? Parameters(k) : TotalParameters;
        return new BinaryClassifierResult(k, name, parameters, (double)parameters / TotalParameters, Threshold(k), 0.9 - 0.01 * k,
            InDistribution(k), ood ? OutOfDistribution(k) : null,
            Bell(PositivesPerClass, centre: 5), Bell(9 * PositivesPerClass, centre: -1), ood ? Bell(9 * PositivesPerClass, centre: 1.5) : null);
    }

    /// <summary>About <paramref name="total"/> scores in a bell around <paramref name="centre"/>, on the shared bins [-6, 9) of width 0.5.</summary>
    static Histogram Bell(int total, double centre)
    {
        const double min = -6, width = 0.5;
        var counts = Enumerable.Range(0, 30).Select(i =>
        {
            double x = min + (i + 0.5) * width;
            return (int)Math.Round(total * width / Math.Sqrt(2 * Math.PI) * Math.Exp(-(x - centre) * (x - centre) / 2));
        }).ToList();
        return new Histogram(min, width, counts);
    }

    /// <summary>Energies close to the codeword (near 0.9 where it has a 1, near 0.05 elsewhere), deterministic per seed.</summary>
    static IReadOnlyList<double> EnergiesFollowing(string codeword, int seed)
    {
        var rng = new Random(seed);
        return codeword.Select(bit => (bit == '1' ? 0.85 : 0.03) + 0.1 * rng.NextDouble()).ToList();
    }

    /// <summary>A square test image: a diagonal gradient (grey) or red/green/blue ramps (RGB), plus a bright square.</summary>
    public static byte[] Pixels(int channels, int side, int seed)
    {
        var pixels = new byte[channels * side * side];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    int value = channels == 1 ? (x + y) * 255 / (2 * side - 2) : c switch { 0 => x * 255 / (side - 1), 1 => y * 255 / (side - 1), _ => 128 };
                    bool square = x >= side / 4 + seed && x < side / 2 + seed && y >= side / 4 && y < side / 2;
                    pixels[(c * side + y) * side + x] = (byte)(square ? 255 : value);
                }
        return pixels;
    }

    static ImagePath Path(int seed, int label, int predicted, int channels, int side, IReadOnlyList<BlockEnergyProfile> profiles) => new(
        Index: 1000 + seed * 17,
        Label: label,
        Predicted: predicted,
        Channels: channels,
        Height: side,
        Width: side,
        Pixels: Pixels(channels, side, seed),
        Energies: profiles.Select((p, b) => EnergiesFollowing(p.Codewords[predicted], seed: 7 * seed + b)).ToList(),
        EarlyPredictions: profiles.Select((_, b) => b == 0 && seed == 1 ? 4 : predicted).ToList());
}
