using System.Numerics;

namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// Second step of the appendix algorithm (docs/method.md#coding-schemes): choose K words minimizing S_max - S_min,
/// the spread of the column sums (rule C), and among equally spread choices the one with the fewest
/// pairs at exactly the minimum distance.
/// </summary>
internal static class BalancedSelection
{
    /// <summary>A choice of K words, its column-sum spread and its pairs at the minimum distance.</summary>
    public sealed record Choice(ulong[] Words, int Spread, long PairsAtMinDistance)
    {
        public bool IsBetterThan(Choice? other) =>
            other is null || Spread < other.Spread || (Spread == other.Spread && PairsAtMinDistance < other.PairsAtMinDistance);
    }

    /// <summary>Every K-subset of the pool is tried when there are at most this many (the authors' limit).</summary>
    public const long ExhaustiveLimit = 10_000;

    /// <summary>The best of all K-subsets of a pool of mutually compatible words.</summary>
    public static Choice Exhaustive(ulong[] pool, int k, int length, int maxOverlap)
    {
        Choice? best = null;
        var index = Enumerable.Range(0, k).ToArray();
        var words = new ulong[k];
        while (true)
        {
            for (int i = 0; i < k; i++) words[i] = pool[index[i]];
            int spread = Spread(words, length);
            if (best is null || spread <= best.Spread)
            {
                var choice = new Choice((ulong[])words.Clone(), spread, PairsAtOverlap(words, maxOverlap));
                if (choice.IsBetterThan(best)) best = choice;
            }
            // Next combination in lexicographic order of indices.
            int j = k - 1;
            while (j >= 0 && index[j] == pool.Length - k + j) j--;
            if (j < 0) return best!; // set on the first pass: any choice beats none
            index[j]++;
            for (int i = j + 1; i < k; i++) index[i] = index[i - 1] + 1;
        }
    }

    /// <summary>
    /// One randomized greedy pick: repeatedly take the word whose ones fall on the least used columns
    /// (smallest sum of their column sums), on ties the word with the fewest chosen words at exactly the
    /// minimum distance, on further ties a uniformly random one, so repeated picks explore different
    /// choices. With <paramref name="enforceDistance"/> the pool is not mutually compatible (e.g. all
    /// words) and words too close to a chosen one drop out; the pick fails (null) if the pool runs dry.
    /// </summary>
    public static Choice? RandomizedGreedy(ulong[] pool, int k, int length, int maxOverlap, bool enforceDistance, Random random)
    {
        var columnSums = new int[length];
        // load[c]: the sum of the column sums over word c's ones. Choosing a word raises it by the
        // overlap of c with that word, which the distance bookkeeping computes anyway.
        var load = new int[pool.Length];
        var atMinDistance = new int[pool.Length];
        var available = new bool[pool.Length];
        Array.Fill(available, true);
        var chosen = new ulong[k];
        long pairs = 0;
        for (int step = 0; step < k; step++)
        {
            int best = -1, ties = 0, bestLoad = int.MaxValue;
            for (int c = 0; c < pool.Length; c++)
            {
                if (!available[c]) continue;
                if (load[c] < bestLoad || (load[c] == bestLoad && atMinDistance[c] < atMinDistance[best]))
                {
                    best = c;
                    bestLoad = load[c];
                    ties = 1;
                }
                else if (load[c] == bestLoad && atMinDistance[c] == atMinDistance[best] && random.Next(++ties) == 0)
                {
                    best = c; // reservoir sampling: each tied word is kept with probability 1/ties
                }
            }
            if (best < 0) return null;

            ulong word = pool[best];
            chosen[step] = word;
            available[best] = false;
            pairs += atMinDistance[best];
            for (ulong bits = word; bits != 0; bits &= bits - 1) columnSums[Column(bits, length)]++;
            for (int c = 0; c < pool.Length; c++)
            {
                if (!available[c]) continue;
                int overlap = BitOperations.PopCount(pool[c] & word);
                load[c] += overlap;
                if (overlap == maxOverlap) atMinDistance[c]++;
                else if (overlap > maxOverlap && enforceDistance) available[c] = false;
            }
        }
        return new Choice(chosen, columnSums.Max() - columnSums.Min(), pairs);
    }

    /// <summary>The subNN index of the lowest set bit (bit N-1-n is digit n).</summary>
    private static int Column(ulong bits, int length) => length - 1 - BitOperations.TrailingZeroCount(bits);

    private static int Spread(ulong[] words, int length)
    {
        var sums = new int[length];
        foreach (ulong w in words)
            for (ulong bits = w; bits != 0; bits &= bits - 1) sums[Column(bits, length)]++;
        return sums.Max() - sums.Min();
    }

    private static long PairsAtOverlap(ulong[] words, int overlap)
    {
        long pairs = 0;
        for (int a = 0; a < words.Length; a++)
            for (int b = a + 1; b < words.Length; b++)
                if (BitOperations.PopCount(words[a] & words[b]) == overlap) pairs++;
        return pairs;
    }
}
