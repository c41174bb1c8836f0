using System.Diagnostics;

namespace CodedResNeXt.CodingSchemes;

/// <summary>What to generate: K codewords of length N with N_act ones each.</summary>
/// <param name="Classes">K, the number of codewords, at least 2</param>
/// <param name="SubNNs">N, the codeword length, 2..64</param>
/// <param name="Active">N_act, the ones in every codeword, 1..N</param>
/// <param name="MinDistance">H_min to enforce; null searches for the largest H_min that leaves K words (rule B).</param>
/// <param name="Seed">Seeds the randomized picks, so a request always gives the same scheme.</param>
/// <param name="Attempts">Randomized greedy picks to try (in each phase) unless perfect balance comes first.</param>
/// <param name="Name">The scheme's name; "N_act/N" by default, as in published.json.</param>
internal sealed record CodingSchemeRequest(
    int Classes,
    int SubNNs,
    int Active,
    int? MinDistance = null,
    int Seed = 0,
    int Attempts = 100,
    string? Name = null);

/// <summary>How the K words were chosen.</summary>
internal enum SchemeSelection
{
    /// <summary>Every K-subset of the packed words was tried.</summary>
    Exhaustive,
    /// <summary>Randomized greedy picks among the packed words.</summary>
    GreedyFromPacking,
    /// <summary>Randomized greedy picks among all words, keeping the distance as it goes.</summary>
    GreedyFromAllWords,
}

/// <summary>A generated scheme (<see cref="CodingScheme.Generate"/>; its distances and column sums are its own) and how it was found.</summary>
/// <param name="Scheme">the K codewords</param>
/// <param name="PackingDistance">The H_min the packing enforced; <see cref="CodingScheme.MinHamming"/> is what the scheme reached.</param>
/// <param name="PackedWords">How many words the greedy packing kept at that distance.</param>
/// <param name="Selection">how the K words were chosen among the candidates: "Exhaustive" (every K-subset of the packed
/// words was tried), "GreedyFromPacking" (randomized greedy picks among the packed words) or "GreedyFromAllWords"
/// (randomized greedy picks among all words, keeping the distance as it goes)</param>
/// <param name="Attempts">Randomized greedy picks made (0 when exhaustive).</param>
/// <param name="Elapsed">wall-clock time the generation took</param>
public sealed record GeneratedCodingScheme(
    CodingScheme Scheme,
    int PackingDistance,
    int PackedWords,
    string Selection,
    int Attempts,
    TimeSpan Elapsed);

/// <summary>
/// Generates a coding scheme by the algorithm of the paper's appendix (docs/method.md#coding-schemes): pack words of
/// weight N_act at distance at least H_min in increasing integer order (<see cref="CodewordPacking"/>),
/// then choose K of them with column sums as equal as possible (<see cref="BalancedSelection"/>).
/// Reaches the published quality: CIFAR-100 (100,20,8,8) and (100,20,4,4) perfectly balanced,
/// ImageNet (1000,32,16,10) column sums 499..501 and (1000,32,8,6) 249..251.
/// </summary>
/// <remarks>
/// One addition to the appendix: when the packed words admit no perfectly balanced choice and the
/// space of words is small, randomized greedy picks are also made among all words, dropping words too
/// close to the chosen ones as they go. The packing in sorted order is too regular for CIFAR-10: for
/// (10,10,3,4) it keeps exactly 10 words whose column sums are 2..4, and for (10,10,5,4) no 10 of its
/// 22 words are balanced, while the published schemes of both are balanced at distance 4.
/// </remarks>
internal static class CodingSchemeGenerator
{
    /// <summary>The picks among all words run only when K times the number of words is at most this much work.</summary>
    private const long AllWordsWorkLimit = 20_000_000;

    /// <summary>
    /// The most classes a generated scheme may have: the largest labelled image sets have tens of thousands
    /// (ImageNet-21k: 21841). The packing keeps up to 20 words per class, so 10^9 classes asked for billions of
    /// 8-byte words before the first was chosen.
    /// </summary>
    public const int MaxClasses = 100_000;

    /// <summary>The packing stops after this many words per class, as the authors' script does.</summary>
    private const int PackedWordsPerClass = 20;

    /// <summary>
    /// The scheme <paramref name="request"/> asks for. An <see cref="InvalidInputException"/> when it is out of range
    /// (K &lt; 2, N outside 2..64, N_act outside 1..N), impossible (fewer than K words of weight N_act, or an unreachable
    /// <see cref="CodingSchemeRequest.MinDistance"/>), or cannot be packed at the asked distance.
    /// </summary>
    /// <param name="request">K, N, N_act and the generator's settings</param>
    /// <param name="cancel">stops the search (the packing can take long for long words)</param>
    /// <param name="progress">the packing's progress (its first step, which can take very long for long words)</param>
    public static GeneratedCodingScheme Generate(CodingSchemeRequest request, CancellationToken cancel = default,
        IProgress<(int Distance, double Fraction, int Kept)>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var (k, n, active) = (request.Classes, request.SubNNs, request.Active);
        if (k < 2) throw new InvalidInputException($"a coding scheme needs at least 2 classes, got {k}");
        if (k > MaxClasses) throw InvalidInputException.ForOption(nameof(request.Classes), $"{k} is more than {MaxClasses}, the most classes a coding scheme may have");
        if (n < 2 || n > 64) throw new InvalidInputException($"the number of subNNs must be 2..64, got {n}");
        if (active < 1 || active > n) throw new InvalidInputException($"the number of active subNNs must be 1..{n} (the number of subNNs), got {active}");
        if (request.Attempts < 1) throw new InvalidInputException($"the number of attempts must be at least 1, got {request.Attempts}");
        UInt128 words = Binomial(n, active);
        if (words < (UInt128)k)
            throw new InvalidInputException(
                $"no scheme exists: only C({n},{active}) = {words} words of length {n} have {active} ones, fewer than the {k} classes");

        int largest = 2 * Math.Min(active, n - active); // the distance of two words with disjoint ones, or disjoint zeros
        if (request.MinDistance is int asked && (asked < 1 || asked > largest))
            throw new InvalidInputException(
                $"minimum distance {asked} is impossible: two words of length {n} with {active} ones are at distance 2..{largest}");

        // Complementing every word keeps all distances and turns column sums S_n into K - S_n, so the
        // spread too: words with more ones than zeros are generated as their complements. That matters
        // because sorted order packs the lighter side better: (20,12,8) keeps 92 words, its complement
        // (20,8,8) keeps 130, enough for CIFAR-100's 12/20 scheme.
        bool complement = active > n - active;
        int weight = complement ? n - active : active;

        // Rule B first: the requested distance, else the largest distance at which the packing keeps K words.
        // At distance 2 every word is kept, so the search ends there at the latest.
        int limit = (int)Math.Min((long)PackedWordsPerClass * k, int.MaxValue);
        int distance = request.MinDistance ?? largest;
        ulong[] pool;
        while (true)
        {
            pool = CodewordPacking.Pack(n, weight, distance, limit, cancel, progress);
            if (pool.Length >= k) break;
            if (request.MinDistance is not null)
                throw new InvalidInputException(
                    $"no scheme with minimum distance {distance}: the greedy packing keeps only {pool.Length} words of length {n} with {active} ones at that distance, fewer than the {k} classes; ask for a smaller distance");
            distance -= 2;
        }

        // Rule C: the most balanced K of them.
        int maxOverlap = weight - (distance + 1) / 2;
        int perfectSpread = CodingSchemeMetrics.BalanceSlack(k, n, active);
        var random = new Random(request.Seed);
        BalancedSelection.Choice? best = null;
        var selection = SchemeSelection.Exhaustive;
        int attempts = 0;
        if (Binomial(pool.Length, k) <= BalancedSelection.ExhaustiveLimit)
        {
            best = BalancedSelection.Exhaustive(pool, k, n, maxOverlap);
        }
        else
        {
            selection = SchemeSelection.GreedyFromPacking;
            best = PickRepeatedly(pool, enforceDistance: false, best, ref attempts);
        }
        if (best!.Spread > perfectSpread && (UInt128)k * words <= AllWordsWorkLimit)
        {
            var all = CodewordPacking.AllWords(n, weight).ToArray();
            var fromAll = PickRepeatedly(all, enforceDistance: true, best, ref attempts);
            if (!ReferenceEquals(fromAll, best)) selection = SchemeSelection.GreedyFromAllWords;
            best = fromAll;
        }

        ulong flip = complement ? ulong.MaxValue >> (64 - n) : 0;
        var codewords = best!.Words.Select(w => w ^ flip).Order().Select(w => ToCodeword(w, n)).ToList();
        var scheme = new CodingScheme(request.Name ?? $"{active}/{n}", codewords);
        _ = scheme.MinHamming; // the metrics, computed within the time reported
        return new GeneratedCodingScheme(scheme, distance, pool.Length, selection.ToString(), attempts, clock.Elapsed);

        BalancedSelection.Choice? PickRepeatedly(ulong[] candidates, bool enforceDistance, BalancedSelection.Choice? bestSoFar, ref int made)
        {
            for (int i = 0; i < request.Attempts && (bestSoFar is null || bestSoFar.Spread > perfectSpread); i++)
            {
                cancel.ThrowIfCancellationRequested();
                made++;
                var choice = BalancedSelection.RandomizedGreedy(candidates, k, n, maxOverlap, enforceDistance, random);
                if (choice is not null && choice.IsBetterThan(bestSoFar)) bestSoFar = choice;
            }
            return bestSoFar;
        }
    }

    /// <summary>Bit N-1-n of the word is digit n of the codeword.</summary>
    private static bool[] ToCodeword(ulong word, int length)
    {
        var digits = new bool[length];
        for (int i = 0; i < length; i++) digits[i] = ((word >> (length - 1 - i)) & 1) != 0;
        return digits;
    }

    /// <summary>C(n, r), exact (C(64,32) fits easily; for large pools it saturates at UInt128.MaxValue).</summary>
    internal static UInt128 Binomial(int n, int r)
    {
        r = Math.Min(r, n - r);
        UInt128 c = 1;
        for (int i = 1; i <= r; i++)
        {
            // c * (n - r + i) / i stays exact: c holds C(n - r + i - 1, i - 1).
            UInt128 factor = (UInt128)(n - r + i);
            if (c > UInt128.MaxValue / factor) return UInt128.MaxValue;
            c = c * factor / (UInt128)i;
        }
        return c;
    }
}
