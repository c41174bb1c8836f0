namespace CodedResNeXt.Data;

/// <summary>
/// A dataset split by class: the kept classes, relabelled 0..K'-1 in their original order, and the held-out
/// rest with their original labels. Training on <see cref="Kept"/> and testing on <see cref="HeldOut"/> gives
/// out-of-distribution negatives from the same image domain (e.g. Fashion-MNIST trained on 8 classes).
/// </summary>
/// <param name="KeptClasses">KeptClasses[newLabel] is the original label of kept class newLabel.</param>
/// <param name="HeldOutClasses">The original labels of the excluded classes, ascending.</param>
public sealed record ClassSplit(ImageDataset Kept, ImageDataset HeldOut, IReadOnlyList<int> KeptClasses, IReadOnlyList<int> HeldOutClasses)
{
    /// <summary>The new label of an original class, or -1 when the class is held out.</summary>
    public int NewLabel(int originalLabel)
    {
        for (int k = 0; k < KeptClasses.Count; k++)
            if (KeptClasses[k] == originalLabel) return k;
        return -1;
    }

    /// <summary>Splits off the classes in <paramref name="excluded"/> (original labels).</summary>
    public static ClassSplit Exclude(ImageDataset dataset, IEnumerable<int> excluded, string flag = "--exclude-classes")
    {
        var held = new SortedSet<int>();
        foreach (int k in excluded)
        {
            if ((uint)k >= (uint)dataset.ClassCount)
                throw new InvalidInputException($"{flag}: class {k} does not exist in {dataset.Name} (classes 0..{dataset.ClassCount - 1})");
            held.Add(k);
        }
        if (held.Count == dataset.ClassCount)
            throw new InvalidInputException($"{flag}: it excludes all {dataset.ClassCount} classes of {dataset.Name}");
        var kept = Enumerable.Range(0, dataset.ClassCount).Where(k => !held.Contains(k)).ToArray();
        var newLabel = new int[dataset.ClassCount];
        Array.Fill(newLabel, -1);
        for (int j = 0; j < kept.Length; j++) newLabel[kept[j]] = j;

        var keptIndices = new List<int>();
        var heldIndices = new List<int>();
        for (int i = 0; i < dataset.Count; i++)
            (newLabel[dataset.Label(i)] >= 0 ? keptIndices : heldIndices).Add(i);

        var keptSet = dataset.Select(keptIndices, i => newLabel[dataset.Label(i)],
            kept.Select(k => dataset.ClassNames[k]).ToArray(), dataset.Name);
        var heldSet = dataset.Select(heldIndices, dataset.Label, dataset.ClassNames, $"{dataset.Name} (held-out classes)");
        return new ClassSplit(keptSet, heldSet, kept, held.ToArray());
    }

    /// <summary>
    /// Parses a comma-separated list of classes, each a 0-based index or a class name (case-insensitive),
    /// e.g. "0,6" or "Sandal,Ankle boot". An empty or blank list excludes nothing.
    /// </summary>
    public static IReadOnlyList<int> ParseClasses(string text, IReadOnlyList<string> classNames, string flag = "--exclude-classes")
    {
        var result = new List<int>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int byName = -1;
            for (int k = 0; k < classNames.Count; k++)
                if (string.Equals(classNames[k], raw, StringComparison.OrdinalIgnoreCase)) { byName = k; break; }
            if (byName >= 0) result.Add(byName);
            else if (int.TryParse(raw, out int index) && index >= 0 && index < classNames.Count) result.Add(index);
            else
                throw new InvalidInputException($"{flag}: '{raw}' is neither a class index 0..{classNames.Count - 1} nor a class name ({string.Join(", ", classNames)})");
        }
        return result;
    }
}
