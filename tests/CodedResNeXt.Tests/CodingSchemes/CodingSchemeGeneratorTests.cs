using System.Numerics;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Tests.CodingSchemes;

public class CodingSchemeGeneratorTests
{
    [Theory]
    [InlineData(100, 20, 8, 8, 130)]
    [InlineData(100, 20, 4, 4, 189)]
    public void Cifar100_schemes_are_perfectly_balanced_at_the_published_distance(int k, int n, int active, int distance, int packed)
    {
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(k, n, active, distance));

        Assert.Equal(packed, result.PackedWords); // the sorted-order packing sizes, counted by brute force
        AssertScheme(result.Scheme, k, n, active);
        Assert.Equal(distance, result.Scheme.MinHamming);
        Assert.All(result.Scheme.ColumnSums, s => Assert.Equal(k * active / n, s)); // 40 and 20
        Assert.True(result.Scheme.PerfectlyBalanced);
    }

    [Theory]
    [InlineData(5, null)]
    [InlineData(3, null)]
    [InlineData(5, 4)]
    [InlineData(3, 4)]
    public void Cifar10_schemes_are_balanced_at_distance_4(int active, int? distance)
    {
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(10, 10, active, distance));

        AssertScheme(result.Scheme, 10, 10, active);
        Assert.Equal(4, result.PackingDistance);
        Assert.Equal(4, result.Scheme.MinHamming);
        Assert.All(result.Scheme.ColumnSums, s => Assert.Equal(active, s));
    }

    [Theory]
    [InlineData(100, 20, 8, 8)] // distance 10 packs only 14 words
    [InlineData(100, 20, 4, 4)] // distance 6 packs only 24 words
    [InlineData(10, 15, 6, 6)]  // the published CIFAR-10 6/15
    public void Without_a_distance_the_largest_one_that_packs_K_words_is_used(int k, int n, int active, int expected)
    {
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(k, n, active));
        Assert.Equal(expected, result.PackingDistance);
        Assert.Equal(expected, result.Scheme.MinHamming);
        Assert.True(result.Scheme.PerfectlyBalanced);
    }

    [Fact]
    public void Heavy_words_are_generated_through_their_complements()
    {
        // In sorted order, weight 12 of 20 packs only 92 words at distance 8; the complements (weight 8) pack 130.
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(100, 20, 12, 8));
        AssertScheme(result.Scheme, 100, 20, 12);
        Assert.Equal(130, result.PackedWords);
        Assert.Equal(8, result.Scheme.MinHamming);
        Assert.All(result.Scheme.ColumnSums, s => Assert.Equal(60, s));
    }

    [Fact]
    public void The_same_seed_gives_the_same_scheme()
    {
        var a = CodingSchemeGenerator.Generate(new CodingSchemeRequest(100, 20, 4, 4, Seed: 7));
        var b = CodingSchemeGenerator.Generate(new CodingSchemeRequest(100, 20, 4, 4, Seed: 7));
        Assert.Equal(a.Scheme.ToStrings(), b.Scheme.ToStrings());
        Assert.Equal("4/20", a.Scheme.Name);
    }

    /// <summary>The accelerated packing (skips, recent rejecters) keeps exactly the words a plain loop keeps.</summary>
    [Theory]
    [InlineData(12, 4, 4)]
    [InlineData(14, 5, 6)]
    [InlineData(16, 6, 6)]
    [InlineData(16, 8, 6)]
    [InlineData(18, 6, 8)]
    [InlineData(13, 3, 3)] // odd distance: same as 4
    public void Packing_matches_a_plain_greedy_loop(int n, int active, int distance)
    {
        var plain = PlainPacking(n, active, distance);
        int k = Math.Max(2, plain.Count / 2);
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(k, n, active, distance, Attempts: 1));

        Assert.Equal(plain.Count, result.PackedWords);
        if (result.Selection != nameof(SchemeSelection.GreedyFromAllWords))
            Assert.All(result.Scheme.ToStrings(), w => Assert.Contains(Convert.ToUInt64(w, 2), plain));
    }

    [Theory]
    [InlineData(100, 5, 2, null, "only C(5,2) = 10 words of length 5 have 2 ones, fewer than the 100 classes")]
    [InlineData(100, 20, 8, 10, "keeps only 14 words of length 20 with 8 ones at that distance, fewer than the 100 classes")]
    [InlineData(10, 10, 3, 8, "minimum distance 8 is impossible: two words of length 10 with 3 ones are at distance 2..6")]
    [InlineData(1, 10, 3, null, "at least 2 classes")]
    [InlineData(10, 65, 3, null, "subNNs must be 2..64")]
    [InlineData(10, 10, 0, null, "active subNNs must be 1..10")]
    public void Impossible_requests_say_why(int k, int n, int active, int? distance, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => CodingSchemeGenerator.Generate(new CodingSchemeRequest(k, n, active, distance)));
        Assert.Contains(expected, e.Message);
    }

    /// <summary>
    /// The ImageNet schemes: 601 million words for 16/32. Each takes about 15-20 s on the project's 2-core
    /// machine, so they run with the suite; filter them out with --filter "Category!=Slow".
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(16, 10, 499, 501)]
    [InlineData(8, 6, 249, 251)]
    public void Imagenet_schemes_reach_the_published_balance(int active, int distance, int minSum, int maxSum)
    {
        var result = CodingSchemeGenerator.Generate(new CodingSchemeRequest(1000, 32, active, distance));

        AssertScheme(result.Scheme, 1000, 32, active);
        Assert.Equal(distance, result.Scheme.MinHamming);
        Assert.InRange(result.Scheme.MinColumnSum, minSum, maxSum);
        Assert.InRange(result.Scheme.MaxColumnSum, minSum, maxSum);
        Assert.True(result.Elapsed < TimeSpan.FromMinutes(2), $"took {result.Elapsed}");
    }

    /// <summary>Rule A and distinct codewords, checked on the strings.</summary>
    private static void AssertScheme(CodingScheme scheme, int k, int n, int active)
    {
        var words = scheme.ToStrings();
        Assert.Equal(k, words.Count);
        Assert.Equal(k, words.Distinct().Count());
        Assert.All(words, w => Assert.Equal(n, w.Length));
        Assert.All(words, w => Assert.Equal(active, w.Count(c => c == '1')));
    }

    /// <summary>Every weight-w word in increasing order, kept when at distance >= H from all kept ones.</summary>
    private static HashSet<ulong> PlainPacking(int n, int active, int distance)
    {
        var kept = new List<ulong>();
        for (ulong x = 0; x < 1UL << n; x++)
        {
            if (BitOperations.PopCount(x) != active) continue;
            if (kept.All(y => BitOperations.PopCount(x ^ y) >= distance)) kept.Add(x);
        }
        return kept.ToHashSet();
    }
}
