using CodedResNeXt.ModelFiles;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 20, crashes where one line is promised: a full disk while a checkpoint is written (exit 74, the old
/// checkpoint intact), a read-only folder for export and for a stored calibration (refused before any work, exit 2).
/// On a real tmpfs mounted for the test, so the errors are the file system's own.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class WriteFailureTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    /// <summary>A 1x8x8 network wide enough that its checkpoint (about 1 MB) cannot fit where the small files still do.</summary>
    private string WideArchitecture()
    {
        var wide = new ArchitectureSpec("wide", 10, 1, 8, new StemSpec(1, 64, 3, 1, MaxPool: false),
        [
            new BlockSpec("c2", 64, 64, 16, 10, 1, "cifar10/5/10", 0.1),
            new BlockSpec("c3", 64, 64, 16, 10, 2, "cifar10/5/10", 0.1),
        ]);
        string path = fixture.NewPath("wide-") + ".json";
        ArchitectureFile.Save(wide, path);
        return path;
    }

    [SmallDiskFact]
    public void A_full_disk_while_a_checkpoint_is_written_is_one_line_exit_74_and_keeps_the_old_checkpoint()
    {
        using var disk = new SmallDisk(16 << 20);
        string run = Path.Combine(disk.Path, "run");
        string arch = WideArchitecture();
        string[] args = [.. fixture.TrainArgs(run, epochs: 1).Select(a => a == fixture.Architecture ? arch : a)];
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), args);
        Assert.True(code == 0, error);
        string last = Path.Combine(run, "last.ckpt");
        byte[] before = File.ReadAllBytes(last);
        Assert.True(before.Length > 512 << 10, $"the checkpoint is only {before.Length} bytes");
        // Room for the log line, the lock and the events, not for another checkpoint.
        disk.Fill(leave: 256 << 10);

        (code, var output, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--epochs", "2", "--data-dir", fixture.DataDir);

        Assert.Equal(74, code);
        Assert.Equal($"crx: error: {last}: cannot write: No space left on device; the previous file is untouched", OneLine(error));
        Assert.Equal(before, File.ReadAllBytes(last));
        Assert.Equal(1, Checkpoint.ReadInfo(last).State.Epoch);
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }

    [SmallDiskFact]
    public void Export_into_a_read_only_folder_is_refused_in_one_line_before_the_model_loads()
    {
        using var disk = new SmallDisk(1 << 20);
        disk.MakeReadOnly();
        string target = Path.Combine(disk.Path, "model.safetensors");

        foreach (string format in new[] { "official", "onnx" })
        {
            var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "export", fixture.Checkpoint, "--format", format, "--out", target);
            Assert.Equal(2, code);
            Assert.StartsWith($"crx: error: --out: cannot write to {target} (", OneLine(error));
            Assert.Contains("Read-only file system", error);
            Assert.Equal("", output);
        }
    }

    [SmallDiskFact]
    public void Storing_a_calibration_in_a_read_only_checkpoint_is_refused_before_calibrating()
    {
        using var disk = new SmallDisk(4 << 20);
        string checkpoint = Path.Combine(disk.Path, "last.ckpt");
        File.Copy(fixture.Checkpoint, checkpoint);
        disk.MakeReadOnly();

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", checkpoint, "--data-dir", fixture.DataDir,
            "--early-exit", "0.9", "--store-calibration");

        Assert.Equal(2, code);
        Assert.StartsWith($"crx: error: --store-calibration: cannot write to {checkpoint} (", OneLine(error));
        Assert.Equal("", output); // no evaluation, no calibration ran first
        Assert.Equal(File.ReadAllBytes(fixture.Checkpoint), File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void A_failed_atomic_write_names_the_target_not_its_temporary_file()
    {
        using var tmp = new TempDirectory();
        string target = tmp["model.crxb"];
        File.WriteAllText(target, "old");

        var e = Assert.Throws<IOException>(() => OutputFile.Write(target, stream =>
            throw new IOException($"No space left on device : '{tmp.Path}/.model.crxb.1.abc.tmp'")));

        Assert.Equal($"{target}: cannot write: No space left on device; the previous file is untouched", e.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(tmp.Path));
    }
}
