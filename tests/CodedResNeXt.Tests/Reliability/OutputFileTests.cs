using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 31, the one write path (<see cref="OutputFile"/>) every file of the project goes through, one test per
/// property: atomic, never through a link it did not make, exclusive where asked, no temporary left behind.
/// </summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Atomic_until_the_write_ends_the_target_holds_the_old_file_whole()
    {
        string target = _tmp["results.json"];
        File.WriteAllText(target, "old results");

        OutputFile.Write(target, stream =>
        {
            stream.Write("new "u8);
            stream.Flush();
            // A kill here, or a reader now, finds the previous file as it was.
            Assert.Equal("old results", File.ReadAllText(target));
            stream.Write("results"u8);
        });

        Assert.Equal("new results", File.ReadAllText(target));
    }

    [Fact]
    public void A_link_at_the_target_is_replaced_never_written_through()
    {
        string outside = _tmp["outside.txt"], folder = _tmp["out"];
        File.WriteAllText(outside, "not yours");
        Directory.CreateDirectory(folder);
        string target = Path.Combine(folder, "config.json");
        File.CreateSymbolicLink(target, outside);

        OutputFile.WriteText(target, "{}");

        Assert.Equal("not yours", File.ReadAllText(outside));
        Assert.Null(new FileInfo(target).LinkTarget);
        Assert.Equal("{}", File.ReadAllText(target));
    }

    [Fact]
    public void A_link_where_the_program_makes_a_folder_is_refused()
    {
        string outside = _tmp["elsewhere"], report = _tmp["report"];
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(report);
        Directory.CreateSymbolicLink(Path.Combine(report, "figures"), outside);

        var e = Assert.Throws<InvalidInputException>(() => OutputFile.Subfolder(report, "figures"));

        Assert.Equal($"{Path.Combine(report, "figures")}: is a symbolic link; crx writes into the folders it makes, never through a link it did not make", e.Message);
        Assert.Equal(Path.Combine(report, "tensorboard"), OutputFile.Subfolder(report, "tensorboard"));
        Assert.True(Directory.Exists(Path.Combine(report, "tensorboard")));
    }

    [Fact]
    public void Exclusive_of_two_writers_that_both_found_the_name_free_exactly_one_succeeds()
    {
        string target = _tmp["model.onnx"];
        using var bothWriting = new Barrier(2);
        Exception Exists() => new InvalidInputException($"{target} already exists");
        var writers = Enumerable.Range(0, 2).Select(i => Task.Run(() =>
        {
            try
            {
                OutputFile.WriteNew(target, stream =>
                {
                    stream.Write([(byte)('a' + i)]);
                    bothWriting.SignalAndWait(); // both are past the early check before either names its file
                }, Exists);
                return true;
            }
            catch (InvalidInputException) { return false; }
        })).ToArray();

        Task.WaitAll(writers);

        Assert.Equal(1, writers.Count(w => w.Result));
        Assert.Equal([target], Directory.GetFileSystemEntries(_tmp.Path));
        var link = _tmp["link.onnx"];
        File.CreateSymbolicLink(link, _tmp["nowhere"]);
        Assert.Throws<InvalidInputException>(() => OutputFile.WriteNew(link, s => s.WriteByte(1), Exists));
        Assert.False(File.Exists(_tmp["nowhere"]));
    }

    [Fact]
    public void No_temporary_file_has_a_name_while_writing_and_a_killed_writers_leftover_is_removed()
    {
        // A file the write of a process that no longer runs left (a kill between creating and renaming it).
        string stale = _tmp[$".best.ckpt.{int.MaxValue}.{Guid.NewGuid():N}.tmp"];
        File.WriteAllText(stale, "half a checkpoint");
        string target = _tmp["last.ckpt"];

        OutputFile.Write(target, stream =>
        {
            stream.Write("a checkpoint"u8);
            // Nothing in the folder but what was there: a SIGKILL now leaves no file behind.
            Assert.Equal([], Directory.GetFileSystemEntries(_tmp.Path).Where(f => f != stale));
        });

        Assert.Equal([target], Directory.GetFileSystemEntries(_tmp.Path));
    }

    [Fact]
    public void A_failed_write_removes_what_it_wrote_and_keeps_the_old_file()
    {
        string target = _tmp["model.crxb"];
        File.WriteAllText(target, "old");

        Assert.Throws<IOException>(() => OutputFile.WriteNew(_tmp["other.crxb"], stream => throw new IOException("disk full"), () => new IOException("exists")));
        Assert.Throws<IOException>(() => OutputFile.Write(target, stream => throw new IOException("disk full")));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFileSystemEntries(_tmp.Path));
    }
}
