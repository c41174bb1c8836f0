using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>Item 1: a crash while a checkpoint is written never blocks or costs a later run.</summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CheckpointWriteTests(ReliabilityRun fixture)
{
    [Fact]
    public void A_stale_temporary_checkpoint_blocks_neither_a_new_run_nor_a_resumed_one()
    {
        string run = fixture.NewPath("stale-");
        Directory.CreateDirectory(run);
        // What a kill during Checkpoint.Save used to leave behind.
        File.WriteAllText(Path.Combine(run, "last.ckpt.tmp"), "half a zip");

        var (code, output, error) = CrxProcess.Run(run, fixture.TrainArgs(run, epochs: 1));
        Assert.True(code == 0, error);
        Assert.Equal(1, Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.Epoch);

        File.WriteAllText(Path.Combine(run, "last.ckpt.tmp"), "half a zip");
        File.WriteAllText(Path.Combine(run, "best.ckpt.tmp"), "half a zip");
        (code, output, error) = CrxProcess.Run(run, "train", "--out", run, "--resume", "--epochs", "2", "--data-dir", fixture.DataDir);
        Assert.True(code == 0, error);
        Assert.Contains("epoch 2/2", output);
        Assert.DoesNotContain("epoch 1/2", output); // the finished epoch is not trained again
        Assert.Equal(2, Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.Epoch);
        Assert.Equal(2, MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Count);
        // Only the planted leftovers remain: the run's own temporaries were renamed or removed.
        Assert.Equal(["best.ckpt.tmp", "last.ckpt.tmp"], Directory.GetFiles(run, "*.tmp").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        using var tmp = new TempDirectory();
        string target = tmp["model.crxb"];
        File.WriteAllText(target, "old");

        Assert.Throws<IOException>(() => OutputFile.Write(target, stream =>
        {
            stream.Write("half of the new content"u8);
            throw new IOException("disk full");
        }));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void The_best_checkpoint_copy_replaces_the_file_instead_of_rewriting_it_in_place()
    {
        using var tmp = new TempDirectory();
        string best = tmp["best.ckpt"], last = tmp["last.ckpt"];
        File.WriteAllBytes(best, Enumerable.Repeat((byte)1, 4096).ToArray());
        File.WriteAllBytes(last, Enumerable.Repeat((byte)2, 100).ToArray());

        // A reader (eval, analyze) that opened best.ckpt before the copy must keep reading one whole file: with an
        // in-place copy it would see the new bytes, or a truncated file, under its open handle.
        using var reader = File.OpenRead(best);
        OutputFile.Copy(last, best);
        var seen = new MemoryStream();
        reader.CopyTo(seen);

        Assert.Equal(Enumerable.Repeat((byte)1, 4096), seen.ToArray());
        Assert.Equal(File.ReadAllBytes(last), File.ReadAllBytes(best));
        Assert.Equal(2, Directory.GetFiles(tmp.Path).Length);
    }
}
