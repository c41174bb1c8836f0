using CodedResNeXt.Analysis;

namespace CodedResNeXt.Tests.Analysis;

public class ScoreHistogramsTests
{
    [Fact]
    public void Sets_share_bins_spanning_all_scores_with_the_maximum_in_the_last_bin()
    {
        // All scores span -1..3; 4 bins of width 1: [-1,0) [0,1) [1,2) [2,3].
        float[] positives = [2.5f, 3f, 1f];
        float[] negatives = [-1f, -0.5f, 0f, 0.99f];
        var h = ScoreHistograms.Shared(4, positives, negatives, null);
        Assert.Null(h[2]);
        Assert.Equal(-1, h[0]!.Min);
        Assert.Equal(1, h[0]!.Width);
        Assert.Equal((h[0]!.Min, h[0]!.Width), (h[1]!.Min, h[1]!.Width));
        Assert.Equal([0, 0, 1, 2], h[0]!.Counts);
        Assert.Equal([2, 2, 0, 0], h[1]!.Counts);
    }

    [Fact]
    public void Equal_scores_still_get_a_bin()
    {
        var h = ScoreHistograms.Shared(3, [1f, 1f], []);
        Assert.Equal([2, 0, 0], h[0]!.Counts);
        Assert.Equal([0, 0, 0], h[1]!.Counts);
        Assert.Equal(1, h[0]!.Width);
    }
}
