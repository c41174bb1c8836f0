using System.Diagnostics;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31, writes that went where the user did not point, end to end: links planted in an output folder (analyze's
/// results.json, index.html and figures/, train's config.json and metrics.jsonl), results.json rewritten in place on a
/// disk that fills, two exports or imports to one --out, a killed export's temporary file.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class WriteSafetyTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    private (int Code, string Output, string Error) Analyze(string report) =>
        CrxProcess.Run(Path.GetTempPath(), "analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--threads", "1",
            "--threshold-samples", "50", "--out", report);

    [Fact]
    public void Analyze_replaces_links_planted_as_its_files_and_never_writes_through_them()
    {
        string outside = fixture.NewPath("outside-"), report = fixture.NewPath("report-");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(report);
        foreach (string name in new[] { "results.json", "index.html" })
        {
            File.WriteAllText(Path.Combine(outside, name), "keep me");
            File.CreateSymbolicLink(Path.Combine(report, name), Path.Combine(outside, name));
        }

        var (code, _, error) = Analyze(report);

        Assert.True(code == 0, error);
        foreach (string name in new[] { "results.json", "index.html" })
        {
            Assert.Equal("keep me", File.ReadAllText(Path.Combine(outside, name)));
            Assert.Null(new FileInfo(Path.Combine(report, name)).LinkTarget);
        }
    }

    [Fact]
    public void Analyze_refuses_a_link_planted_as_its_figures_folder()
    {
        string outside = fixture.NewPath("outside-"), report = fixture.NewPath("report-");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(report);
        Directory.CreateSymbolicLink(Path.Combine(report, "figures"), outside);

        var (code, _, error) = Analyze(report);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {Path.Combine(report, "figures")}: is a symbolic link; crx writes into the folders it makes, never through a link it did not make",
            OneLine(error));
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public void Train_replaces_links_planted_as_its_config_and_log_and_never_writes_through_them()
    {
        string outside = fixture.NewPath("outside-"), run = fixture.NewPath("run-");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(run);
        foreach (string name in new[] { "config.json", "metrics.jsonl" })
        {
            File.WriteAllText(Path.Combine(outside, name), "keep me");
            File.CreateSymbolicLink(Path.Combine(run, name), Path.Combine(outside, name));
        }

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), fixture.TrainArgs(run, epochs: 1));

        Assert.True(code == 0, error);
        Assert.All(Directory.GetFiles(outside), f => Assert.Equal("keep me", File.ReadAllText(f)));
        Assert.Contains("\"epochs\": 1", File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Single(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
    }

    [SmallDiskFact]
    public void Analyze_on_a_full_disk_keeps_the_previous_results_whole()
    {
        // The rewrite of results.json used to truncate it first: a kill or a full disk then left 0 bytes.
        using var disk = new SmallDisk(8 << 20);
        string report = Path.Combine(disk.Path, "report");
        var (code, _, error) = Analyze(report);
        Assert.True(code == 0, error);
        string results = Path.Combine(report, "results.json");
        byte[] before = File.ReadAllBytes(results);
        disk.Fill(leave: 0);

        (code, _, error) = Analyze(report);

        Assert.Equal(74, code);
        Assert.Equal($"crx: error: {results}: cannot write: No space left on device; the previous file is untouched", OneLine(error));
        Assert.Equal(before, File.ReadAllBytes(results));
    }

    [Fact]
    public void Two_exports_and_two_imports_to_one_out_write_once_and_refuse_once()
    {
        string folder = fixture.NewPath("exports-");
        Directory.CreateDirectory(folder);
        string onnx = Path.Combine(folder, "model.onnx"), imported = Path.Combine(folder, "imported.ckpt");
        string weights = Path.Combine(folder, "official.safetensors");
        Assert.Equal(0, CrxProcess.Run(folder, "export", fixture.Checkpoint, "--format", "official", "--out", weights).Code);

        foreach (var args in new[]
        {
            new[] { "export", fixture.Checkpoint, "--format", "onnx", "--out", onnx },
            ["import", "--from", "official", "--arch", fixture.Architecture, weights, "--out", imported],
        })
        {
            // Both start before either has written: each finds --out free.
            var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() => CrxProcess.Run(folder, args))).ToArray();
            Task.WaitAll(runs);

            var codes = runs.Select(r => r.Result.Code).Order().ToArray();
            Assert.True(codes.SequenceEqual([0, 2]), $"{args[0]}: exits {string.Join(", ", codes)}: {string.Join(" | ", runs.Select(r => r.Result.Error.Trim()))}");
            var refused = runs.Single(r => r.Result.Code == 2).Result;
            Assert.EndsWith("already exists; choose another path or delete it", OneLine(refused.Error));
            Assert.DoesNotContain("written", refused.Output);
        }
        Assert.Equal(["imported.ckpt", "model.onnx", "official.safetensors"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void An_export_killed_while_it_writes_leaves_no_temporary_file()
    {
        // The export is watched from start to end: any name but its --out that appears in the folder is a temporary a
        // kill would leave behind; the process is killed the moment one appears.
        string folder = fixture.NewPath("killed-");
        Directory.CreateDirectory(folder);
        string onnx = Path.Combine(folder, "model.onnx");
        // A leftover of a killed export of an earlier process (its id is in the name): removed by the next write here.
        string stale = Path.Combine(folder, $".model.onnx.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "half a model");
        var seen = new HashSet<string>();

        using var process = Process.Start(CrxProcess.StartInfo(folder, ["export", fixture.Checkpoint, "--format", "onnx", "--out", onnx]))!;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            foreach (string entry in Directory.GetFileSystemEntries(folder))
                if (entry != onnx && entry != stale && seen.Add(entry)) process.Kill();
        }
        process.WaitForExit();

        Assert.Empty(seen);
        Assert.Equal([onnx], Directory.GetFileSystemEntries(folder));
    }
}
