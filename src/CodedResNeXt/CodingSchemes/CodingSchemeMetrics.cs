using System.Numerics;

namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// How well a coding scheme meets rules B and C of docs/method.md#coding-schemes: the pairwise Hamming distances
/// between codewords and the column sums S_n (the number of classes subNN n works for).
/// </summary>
/// <param name="Classes">K, the number of codewords</param>
/// <param name="SubNNs">N, the codeword length</param>
/// <param name="Active">N_act, the ones in every codeword</param>
/// <param name="MinHamming">H_min, the smallest distance between two codewords; null for a single class.</param>
/// <param name="DistanceHistogram">Number of codeword pairs at each distance that occurs, by increasing distance.</param>
/// <param name="ColumnSums">S_n for n = 0..N-1.</param>
internal sealed record CodingSchemeMetrics(
    int Classes,
    int SubNNs,
    int Active,
    int? MinHamming,
    IReadOnlyDictionary<int, int> DistanceHistogram,
    IReadOnlyList<int> ColumnSums)
{
    /// <summary>The fewest classes any subNN works for.</summary>
    public int MinColumnSum => ColumnSums.Min();
    /// <summary>The most classes any subNN works for.</summary>
    public int MaxColumnSum => ColumnSums.Max();

    /// <summary>
    /// Whether the column sums are as equal as they can be: all equal when r*K is an integer,
    /// otherwise S_max - S_min = 1 (the K*N_act ones cannot be spread more evenly over N columns).
    /// </summary>
    public bool PerfectlyBalanced => MaxColumnSum - MinColumnSum <= BalanceSlack(Classes, SubNNs, Active);

    internal static int BalanceSlack(int classes, int subNNs, int active) => (long)classes * active % subNNs == 0 ? 0 : 1;

    /// <summary>
    /// The most classes whose metrics are computed: they compare all K(K-1)/2 pairs of codewords, work quadratic in a
    /// scheme file's size. 16,384 classes are 134 M pairs, under a second; ImageNet has 1,000.
    /// </summary>
    public const int MaxClasses = 16_384;

    /// <summary>
    /// The distances and column sums of <paramref name="scheme"/>; all K(K-1)/2 pairs are compared, cheap even for K =
    /// 1000. A scheme of more than <see cref="MaxClasses"/> classes is an <see cref="InvalidInputException"/> before the work.
    /// </summary>
    public static CodingSchemeMetrics Of(CodingScheme scheme)
    {
        int k = scheme.Classes, n = scheme.SubNNs;
        if (k > MaxClasses)
            throw new InvalidInputException($"coding scheme '{scheme.Name}': {k} classes; its metrics compare every pair of codewords and are computed for at most {MaxClasses}");
        // Codewords as 64-bit chunks, so a distance is a few popcounts even for 1000 classes (500k pairs).
        int chunks = (n + 63) / 64;
        var bits = new ulong[k * chunks];
        var columnSums = new int[n];
        for (int c = 0; c < k; c++)
            for (int i = 0; i < n; i++)
                if (scheme.IsActive(c, i))
                {
                    bits[c * chunks + i / 64] |= 1UL << (i % 64);
                    columnSums[i]++;
                }

        var counts = new int[n + 1];
        for (int a = 0; a < k; a++)
            for (int b = a + 1; b < k; b++)
            {
                int d = 0;
                for (int j = 0; j < chunks; j++) d += BitOperations.PopCount(bits[a * chunks + j] ^ bits[b * chunks + j]);
                counts[d]++;
            }
        var histogram = new SortedDictionary<int, int>();
        for (int d = 0; d <= n; d++)
            if (counts[d] > 0) histogram[d] = counts[d];
        int? minHamming = histogram.Count > 0 ? histogram.Keys.First() : null;
        return new CodingSchemeMetrics(k, n, scheme.Active, minHamming, histogram, columnSums);
    }
}
