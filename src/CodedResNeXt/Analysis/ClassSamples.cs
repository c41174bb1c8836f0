using CodedResNeXt.Data;

namespace CodedResNeXt.Analysis;

/// <summary>
/// The images that fit and score the binary classifier of one class, as dataset indices: positives and
/// negatives of the (subset of the) training set that fits the threshold, of the validation set, and the
/// out-of-distribution negatives. The Needed arrays flag, per dataset index, the images to run it on.
/// </summary>
public sealed record ClassSamples(
    int Class,
    IReadOnlyList<int> TrainPositives,
    IReadOnlyList<int> TrainNegatives,
    IReadOnlyList<int> ValidationPositives,
    IReadOnlyList<int> ValidationNegatives,
    IReadOnlyList<int> OodNegatives)
{
    public bool[] TrainNeeded { get; private init; } = [];
    public bool[] ValidationNeeded { get; private init; } = [];
    public bool[] OodNeeded { get; private init; } = [];

    /// <summary>
    /// For each class: every image of the class is a positive; every other image a negative, or with
    /// <paramref name="sample"/> a random 9 per positive (training negatives per training positive; validation
    /// and OOD negatives per validation positive).
    /// </summary>
    public static IReadOnlyList<ClassSamples> Draw(IReadOnlyList<int> classes, ImageDataset train, ImageDataset validation,
        ImageDataset? ood, bool sample, Random rng)
    {
        var allOod = Enumerable.Range(0, ood?.Count ?? 0).ToList();
        return classes.Select(k =>
        {
            var (trainPositives, trainOthers) = Split(train, k);
            var (validationPositives, validationOthers) = Split(validation, k);
            var trainNegatives = BinaryClassifierSampling.Negatives(trainOthers, trainPositives.Count, sample, rng);
            var validationNegatives = BinaryClassifierSampling.Negatives(validationOthers, validationPositives.Count, sample, rng);
            var oodNegatives = BinaryClassifierSampling.Negatives(allOod, validationPositives.Count, sample, rng);
            return new ClassSamples(k, trainPositives, trainNegatives, validationPositives, validationNegatives, oodNegatives)
            {
                TrainNeeded = Flags(train.Count, trainPositives, trainNegatives),
                ValidationNeeded = Flags(validation.Count, validationPositives, validationNegatives),
                OodNeeded = Flags(allOod.Count, oodNegatives),
            };
        }).ToList();
    }

    private static (List<int> Positives, List<int> Others) Split(ImageDataset dataset, int k)
    {
        var positives = new List<int>();
        var others = new List<int>();
        for (int i = 0; i < dataset.Count; i++) (dataset.Label(i) == k ? positives : others).Add(i);
        return (positives, others);
    }

    private static bool[] Flags(int count, params IReadOnlyList<int>[] lists)
    {
        var flags = new bool[count];
        foreach (var list in lists)
            foreach (int i in list) flags[i] = true;
        return flags;
    }
}
