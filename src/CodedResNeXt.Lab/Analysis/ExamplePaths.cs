using CodedResNeXt.Data;

using CodedResNeXt.Evaluation;

namespace CodedResNeXt.Analysis;

/// <summary>The path one validation image took: its subNN energies (scaled to sum to N_act) in every coded block.</summary>
/// <param name="Index">the image's dataset index</param>
/// <param name="Label">its class</param>
/// <param name="Predicted">the network's final prediction (an output index)</param>
/// <param name="Channels">channels of <paramref name="Pixels"/></param>
/// <param name="Height">height of <paramref name="Pixels"/>, in pixels</param>
/// <param name="Width">width of <paramref name="Pixels"/>, in pixels</param>
/// <param name="Pixels">the image itself, uint8 [Channels, Height, Width], for a thumbnail</param>
/// <param name="Energies">per coded block: the N scaled energies</param>
/// <param name="EarlyPredictions">per coded block: the early decoder's prediction</param>
public sealed record ImagePath(
    int Index,
    int Label,
    int Predicted,
    int Channels,
    int Height,
    int Width,
    IReadOnlyList<byte> Pixels,
    IReadOnlyList<IReadOnlyList<double>> Energies,
    IReadOnlyList<int> EarlyPredictions);

/// <summary>
/// Keeps the paths of a few chosen images, one per class (<see cref="Choose"/>). Reads the energies and early
/// predictions that the energy-profile and early-decoding accumulators computed for the same batch, so it must be
/// added after them.
/// </summary>
/// <param name="images">the dataset of the pass, for the chosen images' pixels</param>
/// <param name="chosen">the dataset indices to record (<see cref="Choose"/>)</param>
/// <param name="energies">the energy-profile accumulator of the same pass, added before this one</param>
/// <param name="early">the early-decoding accumulator of the same pass, added before this one</param>
internal sealed class ExamplePathAccumulator(ImageDataset images, IReadOnlyCollection<int> chosen,
    EnergyProfileAccumulator energies, EarlyDecodingAccumulator early) : IEvaluationAccumulator
{
    private readonly HashSet<int> _chosen = [.. chosen];
    private readonly Dictionary<int, ImagePath> _paths = [];

    /// <summary>
    /// Up to <paramref name="count"/> dataset indices, each of a different class (classes drawn at random among those
    /// present, then a random image of each), ordered by class.
    /// </summary>
    public static IReadOnlyList<int> Choose(IReadOnlyList<int> labels, int count, Random rng)
    {
        var byClass = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        rng.Shuffle(byClass);
        return byClass.Take(count).Select(group => group[rng.Next(group.Length)]).OrderBy(i => labels[i]).ToList();
    }

    /// <summary>Records the path of each chosen image in the batch from what the two accumulators kept of the same batch.</summary>
    public void Add(EvaluatedBatch batch)
    {
        for (int i = 0; i < batch.Indices.Count; i++)
        {
            int index = batch.Indices[i];
            if (!_chosen.Contains(index)) continue;
            var scaled = energies.LastScaled;
            _paths[index] = new ImagePath(index, batch.LabelList[i], (int)batch.Predicted![i], images.Channels, images.Height, images.Width,
                images.Image(index).ToArray(),
                scaled.Select(s => (IReadOnlyList<double>)s.Skip(i * (s.Length / batch.Indices.Count)).Take(s.Length / batch.Indices.Count)
                    .Select(v => (double)v).ToList()).ToList(),
                early.LastPredictions.Select(p => (int)p[i]).ToList());
        }
    }

    /// <summary>The recorded paths, ordered by class; an image not yet seen has none.</summary>
    public IReadOnlyList<ImagePath> Result() => _paths.Values.OrderBy(p => p.Label).ToList();
}
