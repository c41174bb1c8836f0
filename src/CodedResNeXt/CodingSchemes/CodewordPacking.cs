using System.Numerics;

namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// First step of the appendix algorithm (docs/method.md#coding-schemes): visit the words of length N with N_act ones
/// in increasing integer order and keep each word whose Hamming distance to every word kept so far is
/// at least H. Kept words are mutually compatible, so any K of them satisfy rule B. Visiting in sorted
/// order packs far more words than a random order (CIFAR-100 (20, 8, 8): 130 words; ImageNet
/// (32, 16, 10): 2399 of the C(32,16) = 601 million).
/// </summary>
/// <remarks>
/// A word is a ulong whose bit N-1-n is digit n of the codeword, so the string "0101…" read in base 2 is
/// the word. Two words of weight w are at distance 2(w - |a AND b|), so "distance at least H" is
/// "overlap at most w - ceil(H/2)": one AND and one popcount.
/// Two things make the 601 million visits affordable (measured on this project's 2-core machine,
/// (32,16,10) from 40 s down to about 7 s):
/// - Most words are rejected, usually by a word kept recently or one that rejected a recent word, so
///   the 32 most recent rejecters are tried first, most recent first.
/// - A rejection usually condemns a whole run of following words: every word that shares x's high bits
///   down to some position p overlaps the rejecter too much, so the visit jumps past that run (see
///   <see cref="DeadPrefixLength"/>). This visits the same words as the plain loop would keep.
/// </remarks>
internal static class CodewordPacking
{
    private const int RecentRejecters = 32;

    /// <summary>
    /// The kept words in increasing order. Stops early once <paramref name="limit"/> words are kept
    /// (the authors' script also stops at 20 K words: more choice than the selection needs).
    /// </summary>
    public static ulong[] Pack(int length, int weight, int minDistance, int limit, CancellationToken cancel,
        IProgress<(int Distance, double Fraction, int Kept)>? progress = null)
    {
        double total = (double)CodingSchemeGenerator.Binomial(length, weight);
        progress?.Report((minDistance, 0.0, 0));
        int maxOverlap = weight - (minDistance + 1) / 2;
        var kept = new List<ulong>();
        var recent = new ulong[RecentRejecters];
        int recentCount = 0;
        ulong x = First(weight), last = Last(length, weight);
        for (long visits = 1; ; visits++)
        {
            if ((visits & ((1 << 22) - 1)) == 0)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report((minDistance, Rank(x) / total, kept.Count));
            }

            ulong rejecter = 0;
            bool rejected = false;
            for (int j = 0; j < recentCount && !rejected; j++)
            {
                if (BitOperations.PopCount(x & recent[j]) <= maxOverlap) continue;
                rejecter = recent[j];
                rejected = true;
                Array.Copy(recent, 0, recent, 1, j);
                recent[0] = rejecter;
            }
            for (int i = kept.Count - 1; i >= 0 && !rejected; i--)
            {
                if (BitOperations.PopCount(x & kept[i]) <= maxOverlap) continue;
                rejecter = kept[i];
                rejected = true;
                recentCount = Math.Min(recentCount + 1, RecentRejecters);
                Array.Copy(recent, 0, recent, 1, recentCount - 1);
                recent[0] = rejecter;
            }

            if (!rejected)
            {
                kept.Add(x);
                if (kept.Count >= limit || x == last) break;
                x = Next(x);
                continue;
            }
            int p = DeadPrefixLength(x, rejecter, length, weight, maxOverlap);
            if (p >= length) break;
            // The largest word sharing x's bits at positions >= p: its remaining ones pushed up to just below p.
            ulong prefix = x >> p << p;
            int remaining = weight - BitOperations.PopCount(prefix);
            ulong end = prefix | (Ones(remaining) << (p - remaining));
            if (end == last) break;
            x = Next(end);
        }
        return kept.ToArray();
    }

    /// <summary>
    /// The position of x among the words of its weight in increasing order (the combinatorial number system:
    /// the sum of C(c_i, i) over its set bits c_1 &lt; c_2 &lt; …), as a double: only progress needs it.
    /// </summary>
    private static double Rank(ulong x)
    {
        double rank = 0;
        int i = 0;
        for (ulong v = x; v != 0; v &= v - 1)
        {
            int c = BitOperations.TrailingZeroCount(v);
            if (c >= ++i) rank += (double)CodingSchemeGenerator.Binomial(c, i);
        }
        return rank;
    }

    /// <summary>
    /// The lowest bit position p such that every word of weight w with x's bits at positions >= p
    /// overlaps <paramref name="rejecter"/> in more than maxOverlap bits (length when no word is left).
    /// Such a word keeps the overlap o_hi of x's high part; its r ones below p overlap the rejecter at
    /// least max(0, r - z) times, z being the rejecter's zeros below p. So the run is dead when o_hi
    /// alone exceeds maxOverlap, or when x's overlap o minus the positions below p where both x and the
    /// rejecter are 0 does. With s = o - maxOverlap - 1, both hold exactly when p is at or below the
    /// (s+1)-th lowest set bit of (x AND rejecter), respectively of (NOT x AND NOT rejecter).
    /// </summary>
    private static int DeadPrefixLength(ulong x, ulong rejecter, int length, int weight, int maxOverlap)
    {
        ulong overlap = x & rejecter;
        int s = BitOperations.PopCount(overlap) - maxOverlap - 1;
        ulong bothZero = ~x & ~rejecter & Ones(length);
        return Math.Min(length, Math.Max(LowestSetBit(overlap, s), LowestSetBit(bothZero, s)));
    }

    /// <summary>Position of the (s+1)-th lowest set bit of v, 64 when v has fewer set bits.</summary>
    private static int LowestSetBit(ulong v, int s)
    {
        // s is small here (an overlap just above the limit), so clearing bits one by one is cheap.
        for (int i = 0; i < s && v != 0; i++) v &= v - 1;
        return BitOperations.TrailingZeroCount(v);
    }

    /// <summary>Every word of the given length and weight, in increasing order.</summary>
    public static IEnumerable<ulong> AllWords(int length, int weight)
    {
        ulong x = First(weight), last = Last(length, weight);
        while (true)
        {
            yield return x;
            if (x == last) yield break;
            x = Next(x);
        }
    }

    /// <summary>
    /// The next larger word with the same number of ones (Gosper's hack): the lowest run of ones moves
    /// its top one up by one position and drops the rest to the bottom. The division of the usual form
    /// is a shift, since the divisor is the lowest set bit.
    /// </summary>
    public static ulong Next(ulong x)
    {
        ulong ripple = x + (x & (ulong)-(long)x);
        return ripple | (((ripple ^ x) >> 2) >> BitOperations.TrailingZeroCount(x));
    }

    private static ulong First(int weight) => Ones(weight);

    private static ulong Last(int length, int weight) => Ones(weight) << (length - weight);

    private static ulong Ones(int count) => count >= 64 ? ulong.MaxValue : (1UL << count) - 1;
}
