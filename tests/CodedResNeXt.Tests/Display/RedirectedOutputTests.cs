using System.Text.RegularExpressions;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Display;

/// <summary>
/// crx with its output redirected (a pipe, a log file, CI): lines only, no bar, and a run shorter than an epoch still
/// says what it did.
/// </summary>
[Collection(TerminalCollection.Name)]
public sealed class RedirectedOutputTests(TerminalRun fixture)
{
    [Fact]
    public void A_run_stopped_inside_its_first_epoch_prints_where_it_stopped_with_its_loss()
    {
        string run = fixture.NewPath("steps-");
        var (code, output, error) = CrxProcess.Run(fixture.Work, [.. fixture.LongTrainArgs(run), "--max-steps", "7"]);
        Assert.True(code == 0, error);
        Assert.Matches(new Regex(@"^coded epoch 1/1 step 7/\d+: loss [\d.]+ \(coding [\d.]+\)  train [\d.]+ %  \d+ img/s  lr ", RegexOptions.Multiline), output);
        Assert.Contains("stopped after step 7 (--max-steps)", output);
        Assert.DoesNotContain("━", output);
    }
}
