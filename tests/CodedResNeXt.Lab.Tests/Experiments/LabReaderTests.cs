using CodedResNeXt.Analysis;
using CodedResNeXt.Experiments;

namespace CodedResNeXt.Tests.Experiments;

/// <summary>Issue 20, further cases: the lab's readers (experiment plans, results, analysis results) are bounded as the core's are.</summary>
public sealed class LabReaderTests
{
    public static TheoryData<string> Readers => ["plan", "results", "analysis"];

    private static void Read(string reader, string path)
    {
        switch (reader)
        {
            case "plan": ExperimentPlan.Load(path); break;
            case "results": ExperimentResults.LoadOrEmpty(path, "x"); break;
            default: AnalysisResultsFile.Load(path); break;
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_character_device_is_refused_instead_of_read_for_ever(string reader)
    {
        var e = Assert.Throws<InvalidInputException>(() => Read(reader, "/dev/zero"));
        Assert.StartsWith("/dev/zero: is a character device, not a regular file", e.Message);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_file_larger_than_the_format_can_need_is_refused_before_it_is_read(string reader)
    {
        string path = Path.Combine(Path.GetTempPath(), $"crx-lab-{Guid.NewGuid():N}.json");
        try
        {
            using (var file = File.Create(path)) file.SetLength(65L << 20); // sparse: no disk used
            var e = Assert.Throws<InvalidInputException>(() => Read(reader, path));
            Assert.StartsWith($"{path}: 65 MiB; a", e.Message);
        }
        finally { File.Delete(path); }
    }
}
