using System.Text.Json;
using System.Text.Json.Nodes;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 20, data loss: a checkpoint holds what it needs to load anywhere, a run folder belongs to one process at a
/// time, and a damaged metrics.jsonl is rebuilt on resume from what the checkpoint says is done.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class RunFolderTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    /// <summary>The synthetic architecture with its 5/10 blocks naming a scheme file (called "s10" inside) by its path.</summary>
    private static (ArchitectureSpec Architecture, string ArchitectureFile, string SchemeFile) SchemeByPath(string dir)
    {
        Directory.CreateDirectory(dir);
        string scheme = Path.Combine(dir, "s10.json");
        File.WriteAllText(scheme, JsonSerializer.Serialize(new { name = "s10", codewords = BuiltInSchemes.Get("cifar10/5/10").ToStrings() }));
        var tiny = Synthetic.Architecture();
        var architecture = tiny with { Blocks = tiny.Blocks.Select(b => b.Scheme == "cifar10/5/10" ? b with { Scheme = scheme } : b).ToList() };
        string file = Path.Combine(dir, "by-path.json");
        CodedResNeXt.Model.ArchitectureFile.Save(architecture, file);
        return (architecture, file, scheme);
    }

    [Fact]
    public void A_checkpoint_of_an_architecture_naming_its_scheme_by_path_loads_after_the_scheme_file_is_gone()
    {
        string dir = fixture.NewPath("by-path-");
        var (_, architecture, scheme) = SchemeByPath(dir);
        string run = Path.Combine(dir, "run");
        var (code, _, error) = CrxProcess.Run(dir, [.. fixture.TrainArgs(run, epochs: 1).Select(a => a == fixture.Architecture ? architecture : a)]);
        Assert.True(code == 0, error);
        // Loading anywhere: the scheme file the architecture named is not needed any more.
        File.Delete(scheme);
        string checkpoint = Path.Combine(run, "last.ckpt");

        (code, var output, error) = CrxProcess.Run(dir, "eval", "--checkpoint", checkpoint, "--data-dir", fixture.DataDir);
        Assert.True(code == 0, error);
        Assert.Contains("top-1", output);
        string exported = Path.Combine(dir, "official.safetensors");
        (code, _, error) = CrxProcess.Run(dir, "export", checkpoint, "--format", "official", "--out", exported);
        Assert.True(code == 0, error);
        (code, _, error) = CrxProcess.Run(dir, "extract", "--checkpoint", checkpoint, "--data-dir", fixture.DataDir, "--class", "3",
            "--out", Path.Combine(dir, "three.crxb"));
        Assert.True(code == 0, error);
        // The codewords are the file's, under the name the blocks use.
        var meta = ModelFile.ReadMetadata(checkpoint);
        Assert.Equal(BuiltInSchemes.Get("cifar10/5/10").ToStrings(), meta.Schemes[scheme]);
    }

    [Fact]
    public void A_checkpoint_written_before_schemes_were_stored_by_block_name_still_loads()
    {
        string dir = fixture.NewPath("old-by-path-");
        var (architecture, _, scheme) = SchemeByPath(dir);
        string checkpoint = Path.Combine(dir, "old.ckpt");
        using (var network = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles))
        {
            // What the earlier code wrote: the scheme keyed by its own name, "s10", while the blocks name the path.
            var meta = ModelMetadata.Of("checkpoint", network, Enumerable.Range(0, 10).Select(k => $"c{k}").ToList(), Normalization.Unit(1), "fashion-mnist", []);
            var schemes = meta.Schemes.ToDictionary(s => s.Key == scheme ? "s10" : s.Key, s => s.Value);
            ModelFile.Write(checkpoint, meta with { Schemes = schemes }, network);
        }
        File.Delete(scheme);

        var (loaded, loadedMeta) = ModelFile.Load(checkpoint);
        using (loaded)
            Assert.Equal(BuiltInSchemes.Get("cifar10/5/10").ToStrings(), loaded.CodedBlocks[0].Scheme.ToStrings());
        Assert.Equal(["cifar10/3/10", "s10"], loadedMeta.Schemes.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_second_run_in_a_folder_in_use_gets_one_line_naming_the_folder_and_the_holder_and_exit_75()
    {
        string run = fixture.NewPath("held-");
        using var first = new RunningCrx(Path.GetTempPath(), fixture.TrainArgs(run, epochs: 200));
        first.WaitFor((o, _) => o.Contains("epoch 1/200"), TimeSpan.FromMinutes(1), "first epoch");
        string config = File.ReadAllText(Path.Combine(run, "config.json"));

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), fixture.TrainArgs(run, epochs: 3));
        Assert.Equal(75, code);
        Assert.Equal($"crx: error: {run}: the run folder is in use by process {first.Id}; wait for it to finish or stop it, or choose another folder", OneLine(error));
        Assert.Equal("", output);

        (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--epochs", "300", "--data-dir", fixture.DataDir);
        Assert.Equal(75, code);
        Assert.Contains($"in use by process {first.Id}", OneLine(error));
        // Nothing of the refused runs reached the folder.
        Assert.Equal(config, File.ReadAllText(Path.Combine(run, "config.json")));

        first.Signal(RunningCrx.SigTerm);
        Assert.Equal(143, first.WaitForExit(TimeSpan.FromMinutes(1)));
        var epochs = MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Select(m => m.Epoch).ToList();
        Assert.Equal(Enumerable.Range(1, epochs.Count), epochs); // one run's lines, in order
    }

    [Fact]
    public void Storing_a_calibration_in_the_checkpoint_of_a_run_that_is_training_is_refused()
    {
        string run = fixture.NewPath("calibrating-");
        using var training = new RunningCrx(Path.GetTempPath(), fixture.TrainArgs(run, epochs: 200));
        training.WaitFor((o, _) => o.Contains("epoch 1/200"), TimeSpan.FromMinutes(1), "first epoch");

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", fixture.DataDir,
            "--early-exit", "0.9", "--store-calibration");

        Assert.Equal(75, code);
        Assert.Contains($"in use by process {training.Id}", OneLine(error));
        Assert.Equal("", output);
        training.Signal(RunningCrx.SigTerm);
        Assert.Equal(143, training.WaitForExit(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void A_killed_run_leaves_its_folder_free_for_the_next_process()
    {
        string run = fixture.NewPath("killed-");
        using (var crx = new RunningCrx(Path.GetTempPath(), fixture.TrainArgs(run, epochs: 200)))
        {
            crx.WaitFor((o, _) => o.Contains("epoch 1/200"), TimeSpan.FromMinutes(1), "first epoch");
            crx.Signal(RunningCrx.SigKill);
            Assert.Equal(137, crx.WaitForExit(TimeSpan.FromMinutes(1)));
        }
        Assert.True(File.Exists(Path.Combine(run, RunFolderLock.FileName)));
        int done = Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.Epoch;

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "train", "--out", run, "--resume", "--epochs", (done + 1).ToString(), "--data-dir", fixture.DataDir);

        Assert.True(code == 0, error);
        Assert.Contains($"epoch {done + 1}/{done + 1}", output);
        Assert.Equal(Enumerable.Range(1, done + 1), MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Select(m => m.Epoch));
    }

    [Fact]
    public void The_lock_is_reentrant_in_one_process_and_free_once_released()
    {
        string run = fixture.NewPath("lock-");
        using (var outer = RunFolderLock.Acquire(run))
        using (var inner = RunFolderLock.Acquire(run + "/"))
            Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(Path.Combine(run, RunFolderLock.OwnerFileName)));
        // Released: an open with FileShare.None (what another process would take) succeeds.
        using var other = new FileStream(Path.Combine(run, RunFolderLock.FileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
    }

    [Fact]
    public void Two_trainings_on_two_threads_of_one_process_do_not_share_a_folder()
    {
        // Issue 31: the lock was re-entrant for the whole process, so both trainings ran and interleaved metrics.jsonl.
        string run = fixture.NewPath("threads-");
        var data = TrainingData.From(DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = fixture.DataDir }), []);
        using var bothReady = new Barrier(2);
        var outcomes = new Exception?[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            var trainer = new Trainer(new TrainingRun(fixture.Options with { Epochs = 3 }, data, run, CodingSchemeSet.BuiltInsAndFiles));
            bothReady.SignalAndWait();
            try { trainer.Run(resume: false).Dispose(); }
            catch (Exception e) { outcomes[i] = e; }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var refused = Assert.IsType<RunFolderInUseException>(Assert.Single(outcomes, e => e is not null));
        Assert.Equal($"{run}: the run folder is in use by another training in this process; wait for it to finish or stop it, or choose another folder", refused.Message);
        Assert.Equal([1, 2, 3], MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Select(m => m.Epoch));
        // The same flow of work still takes it again (the CLI, then its trainer); released, anyone may.
        using (RunFolderLock.Acquire(run))
        using (RunFolderLock.Acquire(run)) { }
        var other = new Thread(() => RunFolderLock.Acquire(run).Dispose());
        other.Start();
        other.Join();
    }

    [Fact]
    public void A_metrics_log_whose_last_line_a_kill_cut_short_is_repaired_on_resume()
    {
        string run = fixture.CopyRun();
        string log = Path.Combine(run, "metrics.jsonl");
        var before = File.ReadAllLines(log);
        File.AppendAllText(log, before[^1][..40]); // the next epoch's line, cut mid-write

        var (code, output, error) = CrxProcess.Run(run, "train", "--out", run, "--resume", "--epochs", "3", "--data-dir", fixture.DataDir);

        Assert.True(code == 0, error);
        Assert.Equal("", error);
        var after = File.ReadAllLines(log);
        Assert.Equal([1, 2, 3], MetricsLog.Read(log).Select(m => m.Epoch));
        Assert.Equal(before, after[..2]);
    }

    [Fact]
    public void An_emptied_metrics_log_is_rebuilt_from_the_checkpoint_on_resume()
    {
        string run = fixture.CopyRun();
        string log = Path.Combine(run, "metrics.jsonl");
        var before = File.ReadAllLines(log);
        File.WriteAllText(log, "");

        var (code, _, error) = CrxProcess.Run(run, "train", "--out", run, "--resume", "--epochs", "3", "--data-dir", fixture.DataDir);

        Assert.True(code == 0, error);
        var after = File.ReadAllLines(log);
        Assert.Equal([1, 2, 3], MetricsLog.Read(log).Select(m => m.Epoch));
        Assert.Equal(before, after[..2]); // the finished epochs' lines, as they were written
    }

    [Fact]
    public void A_log_line_of_an_epoch_the_checkpoint_never_saved_is_dropped_on_resume()
    {
        string run = fixture.CopyRun();
        string log = Path.Combine(run, "metrics.jsonl");
        var lines = File.ReadAllLines(log);
        // A kill between the log's append and the checkpoint's rename: epoch 3 logged, last.ckpt still at epoch 2.
        var third = JsonNode.Parse(lines[^1])!;
        third["epoch"] = 3;
        third["validation_top1"] = -1;
        File.AppendAllText(log, third.ToJsonString() + "\n");

        var (code, _, error) = CrxProcess.Run(run, "train", "--out", run, "--resume", "--epochs", "3", "--data-dir", fixture.DataDir);

        Assert.True(code == 0, error);
        var epochs = MetricsLog.Read(log);
        Assert.Equal([1, 2, 3], epochs.Select(m => m.Epoch));
        Assert.True(epochs[2].ValidationTop1 >= 0); // the retrained epoch's line, not the stale one
    }

    [Fact]
    public void Reading_a_damaged_metrics_log_names_the_file_and_the_line()
    {
        string run = fixture.CopyRun();
        string log = Path.Combine(run, "metrics.jsonl");
        File.AppendAllText(log, "{\"epoch\":3,\"train_lo");

        var e = Assert.Throws<InvalidInputException>(() => MetricsLog.Read(log));

        Assert.Equal($"{log}: line 3 is not an epoch's metrics (cut short: resume the run to repair the log)", e.Message);
    }
}
