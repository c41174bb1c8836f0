using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Tests.CodingSchemes;

public class CodingSchemeMetricsTests
{
    [Fact]
    public void Distances_and_column_sums_of_a_hand_made_scheme()
    {
        // 1100-0110: 2, 1100-0011: 4, 0110-0011: 2. Columns: 1, 2, 2, 1.
        var m = CodingSchemeMetrics.Of(CodingScheme.Parse("t", ["1100", "0110", "0011"]));
        Assert.Equal(2, m.MinHamming);
        Assert.Equal(new Dictionary<int, int> { [2] = 2, [4] = 1 }, m.DistanceHistogram);
        Assert.Equal([1, 2, 2, 1], m.ColumnSums);
        Assert.Equal(1, m.MinColumnSum);
        Assert.Equal(2, m.MaxColumnSum);
        // r*K = 2/4 * 3 = 1.5 is not an integer, so a spread of 1 is the best possible.
        Assert.True(m.PerfectlyBalanced);
    }

    [Fact]
    public void Unequal_column_sums_are_not_balanced_when_r_times_K_is_an_integer()
    {
        // 1100, 1010, 0101, 0011: columns 2, 2, 2, 2 (balanced); swap in 1001 for 0101: columns 3, 1, 2, 2.
        var balanced = CodingSchemeMetrics.Of(CodingScheme.Parse("t", ["1100", "1010", "0101", "0011"]));
        Assert.Equal([2, 2, 2, 2], balanced.ColumnSums);
        Assert.True(balanced.PerfectlyBalanced);
        Assert.Equal(new Dictionary<int, int> { [2] = 4, [4] = 2 }, balanced.DistanceHistogram);

        var skewed = CodingSchemeMetrics.Of(CodingScheme.Parse("t", ["1100", "1010", "1001", "0011"]));
        Assert.Equal([3, 1, 2, 2], skewed.ColumnSums);
        Assert.False(skewed.PerfectlyBalanced);
    }

    [Fact]
    public void Published_cifar10_schemes_have_the_distances_counted_by_hand()
    {
        var m310 = CodingSchemeMetrics.Of(BuiltInSchemes.Get("cifar10/3/10"));
        Assert.Equal(new Dictionary<int, int> { [4] = 30, [6] = 15 }, m310.DistanceHistogram);
        Assert.All(m310.ColumnSums, s => Assert.Equal(3, s));

        var m510 = CodingSchemeMetrics.Of(BuiltInSchemes.Get("cifar10/5/10"));
        Assert.Equal(new Dictionary<int, int> { [4] = 20, [6] = 15, [8] = 10 }, m510.DistanceHistogram);
        Assert.Equal(4, m510.MinHamming);
    }

    [Fact]
    public void Codewords_longer_than_64_digits_are_measured_across_chunks()
    {
        string a = new string('0', 70) + "11", b = "1" + new string('0', 70) + "1";
        var m = CodingSchemeMetrics.Of(CodingScheme.Parse("long", [a, b]));
        Assert.Equal(2, m.MinHamming);
        Assert.Equal(1, m.ColumnSums[0]);
        Assert.Equal(2, m.ColumnSums[71]);
    }

    [Fact]
    public void One_class_has_no_minimum_distance()
    {
        var m = CodingSchemeMetrics.Of(CodingScheme.Parse("one", ["0110"]));
        Assert.Null(m.MinHamming);
        Assert.Empty(m.DistanceHistogram);
    }
}
