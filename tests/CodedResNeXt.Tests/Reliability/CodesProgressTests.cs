using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>Item 11: a coding-scheme search out of reach shows how far it is, and a signal stops it.</summary>
public sealed class CodesProgressTests
{
    [Fact]
    public void A_long_search_reports_its_progress_and_stops_on_sigint()
    {
        using var crx = new RunningCrx(Path.GetTempPath(), "codes", "--classes", "10", "--subnns", "64", "--active", "32");
        crx.WaitFor((_, e) => e.Contains("packing codewords at minimum distance 64"), TimeSpan.FromSeconds(30), "the first progress line");
        crx.WaitFor((_, e) => e.Contains("% of the C(64,32) words passed") && e.Contains("at this rate"), TimeSpan.FromSeconds(30), "a progress estimate");
        crx.Signal(RunningCrx.SigInt);
        Assert.Equal(130, crx.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("crx: interrupted by SIGINT", crx.Error);
        Assert.Equal("", crx.Output);
    }
}
