using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using SkiaSharp;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Issue 20, unbounded resources from small files and silently wrong input: every read is bounded by what its
/// format can need, what is not a regular file is refused, image bombs and absurd architectures are refused before
/// anything is allocated, and every refusal is one line naming the file or flag.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class UntrustedInputTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    private string Damaged(string name, Func<JsonNode, JsonNode> change)
    {
        string path = fixture.NewPath(name) + ".ckpt";
        var meta = change(JsonNode.Parse(ZipEntries.Read(fixture.Checkpoint, "meta.json"))!);
        ZipEntries.Replace(fixture.Checkpoint, path, "meta.json", Encoding.UTF8.GetBytes(meta.ToJsonString()));
        return path;
    }

    // ---- zip bombs and bounded reads ----

    [Fact]
    public void A_meta_json_that_inflates_beyond_its_limit_is_refused_in_one_line_without_taking_the_memory()
    {
        string bomb = fixture.NewPath("bomb-") + ".ckpt";
        var meta = ZipEntries.Read(fixture.Checkpoint, "meta.json");
        // 100 MB of spaces after the JSON: valid JSON, deflated to about 100 KB.
        var inflated = new byte[100_000_000];
        inflated.AsSpan().Fill((byte)' ');
        meta.CopyTo(inflated, 0);
        ZipEntries.Replace(fixture.Checkpoint, bomb, "meta.json", inflated);
        inflated = null;
        Assert.True(new FileInfo(bomb).Length < 2_000_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidInputException>(() => ModelFile.ReadMetadata(bomb));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"{bomb}: meta.json inflates to 95.4 MiB; it can need at most 64 MiB", e.Message);
        Assert.True(allocated < 1_000_000, $"{allocated} bytes allocated to refuse it");
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", bomb, "--data-dir", fixture.DataDir);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {e.Message}", OneLine(error));
    }

    [Fact]
    public void A_zip_entry_declaring_more_than_its_limit_is_refused()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = archive.CreateEntry("rng.bin").Open())
            entry.Write(new byte[3 << 20]);
        zip.Position = 0;
        using var read = new ZipArchive(zip, ZipArchiveMode.Read);

        var e = Assert.Throws<InvalidInputException>(() => ModelFile.Entry(read, "x.ckpt", "rng.bin", 1 << 20));

        Assert.Equal("x.ckpt: rng.bin inflates to 3 MiB; it can need at most 1 MiB", e.Message);
    }

    /// <summary>A named pipe nobody writes to: a reader that opens it blocks for ever.</summary>
    private string Fifo()
    {
        string path = fixture.NewPath("fifo-");
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Fact]
    public void Non_regular_files_are_refused_by_every_reader_without_blocking()
    {
        string fifo = Fifo(), folder = fixture.NewPath("folder-");
        Directory.CreateDirectory(folder);
        var readers = new (string What, Action<string> Read)[]
        {
            ("architecture file", f => ArchitectureFile.Load(f, CodingSchemeSet.BuiltInsAndFiles)),
            ("coding scheme file", f => CodingSchemeFile.Load(f)),
            ("model file", f => ModelFile.ReadMetadata(f)),
            ("data file", f => IdxFormat.ReadImages(f)),
            ("image", f => ImageDecoder.DecodeBitmap(f, 0).Dispose()),
            ("metrics log", f => MetricsLog.Read(f)),
            ("safetensors file", f => CodedResNeXt.Interop.SafeTensors.Load(f)),
            ("torch checkpoint", f => CodedResNeXt.Interop.TorchCheckpoint.ReadStateDict(f)),
        };
        foreach (var (what, read) in readers)
            foreach (var (path, kind) in new[] { ("/dev/zero", "a character device"), (fifo, "a FIFO (named pipe)"), (folder, "folder") })
            {
                var task = Task.Run(() => read(path));
                try { Assert.True(task.Wait(TimeSpan.FromSeconds(20)), $"{what} from {path}: no answer"); }
                catch (AggregateException) { } // the refusal, checked below
                var e = Assert.IsType<InvalidInputException>(task.Exception?.InnerException);
                Assert.StartsWith($"{path}: ", e.Message);
                Assert.Contains(kind, e.Message);
            }
    }

    [Fact]
    public void The_cli_refuses_non_regular_files_for_arch_config_and_codes_check_in_one_line()
    {
        string fifo = Fifo();
        string[][] commands =
        [
            ["train", "--dataset", "fashion-mnist", "--data-dir", fixture.DataDir, "--arch", "/dev/zero", "--out", fixture.NewPath("r-")],
            ["train", "--config", fifo],
            ["train", "--config", "/dev/zero"],
            ["codes", "--check", fifo],
            ["eval", "--checkpoint", "/dev/zero"],
            ["predict", "--model", fixture.Checkpoint, fifo],
        ];
        foreach (var args in commands)
        {
            var (code, error) = CrxProcess.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.Matches(@"^crx: error: (/dev/zero|.*fifo-\w+): is (a character device|a FIFO \(named pipe\)), not a regular file", OneLine(error));
        }
    }

    [Fact]
    public void A_text_file_larger_than_its_format_can_need_is_refused_before_it_is_read()
    {
        string big = fixture.NewPath("big-") + ".json";
        File.WriteAllText(big, "{" + new string(' ', 2 << 20) + "}");

        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(big, CodingSchemeSet.BuiltInsAndFiles));

        Assert.Equal($"{big}: 2 MiB; an architecture file needs at most 1 MiB", e.Message);
        var (code, error) = CrxProcess.Run(["train", "--config", big]);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {big}: 2 MiB; a recipe file needs at most 1 MiB", OneLine(error));
    }

    [Fact]
    public void A_gzip_idx_file_whose_header_claims_gigabytes_is_refused_without_allocating_them()
    {
        string path = fixture.NewPath("claims-") + "-images-idx3-ubyte.gz";
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 2_000_000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 32);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 32);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(header);
            gzip.Write(new byte[1024]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal($"{path}: truncated: the file ends 2047998976 bytes short of 2000000 images of 32x32", e.Message);
        Assert.True(allocated < 10_000_000, $"{allocated} bytes allocated to refuse it");
    }

    // ---- image bombs ----

    [Fact]
    public void An_image_declaring_more_pixels_than_the_limit_is_refused_before_decoding()
    {
        string bomb = fixture.NewPath("bomb-") + ".png";
        File.WriteAllBytes(bomb, HostileImages.DeclaredPng(23000));
        Assert.True(new FileInfo(bomb).Length < 100_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.DecodeBitmap(bomb, 0).Dispose());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.Equal($"{bomb}: the image declares 23000x23000 = 529000000 pixels, more than the limit of 89478485 " +
                     "(raise it with --max-image-pixels if the file is trusted)", e.Message);

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", fixture.Checkpoint, bomb);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {e.Message}", OneLine(error));
        Assert.Equal("", output);
    }

    [Fact]
    public void An_image_held_in_memory_is_checked_as_a_file_is_a_bomb_or_a_non_image_named_by_its_name()
    {
        using var model = CodedResNeXt.Prediction.PredictionModel.Load(fixture.Checkpoint);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidInputException>(() => model.Predict([new CodedResNeXt.Prediction.EncodedImage("upload 1", HostileImages.DeclaredPng(23000))]));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.Equal("upload 1: the image declares 23000x23000 = 529000000 pixels, more than the limit of 89478485 " +
                     "(raise it with --max-image-pixels if the file is trusted)", e.Message);
        e = Assert.Throws<InvalidInputException>(() => model.Predict([new CodedResNeXt.Prediction.EncodedImage("notes.txt", "hello"u8.ToArray())]));
        Assert.Equal("notes.txt: cannot decode image (not a readable JPEG or PNG)", e.Message);
        // Declaring more pixels than its bytes can hold (under the limit): a decompression bomb.
        e = Assert.Throws<InvalidInputException>(() => model.Predict([new CodedResNeXt.Prediction.EncodedImage("b.png", HostileImages.DeclaredPng(9000))]));
        Assert.Contains("b.png: the image declares 9000x9000 = 81000000 pixels in a file of", e.Message);
    }

    [Fact]
    public void The_pixel_limit_can_be_raised_or_lowered_from_the_cli_and_the_library()
    {
        string dir = fixture.NewPath("limit-");
        Directory.CreateDirectory(dir);
        string image = Path.Combine(dir, "a.png");
        using (var bitmap = new SKBitmap(100, 100)) ImageFolders.Save(bitmap, image);

        var (code, _, error) = CrxProcess.Run(dir, "predict", "--model", fixture.Checkpoint, image, "--max-image-pixels", "9999");
        Assert.Equal(2, code);
        Assert.Contains("100x100 = 10000 pixels, more than the limit of 9999", OneLine(error));
        (code, _, error) = CrxProcess.Run(dir, "predict", "--model", fixture.Checkpoint, image, "--max-image-pixels", "10000");
        Assert.True(code == 0, error);
        (code, _, error) = CrxProcess.Run(dir, "predict", "--model", fixture.Checkpoint, image, "--max-image-pixels", "0");
        Assert.Equal(2, code);
        Assert.Equal("crx: error: --max-image-pixels: 0 must be at least 1", OneLine(error));

        using var model = CodedResNeXt.Prediction.PredictionModel.Load(fixture.Checkpoint);
        model.MaxImagePixels = 9999;
        Assert.Throws<InvalidInputException>(() => model.Predict([image]));
        model.MaxImagePixels = 10000;
        Assert.Single(model.Predict([image]));
    }

    [Fact]
    public void A_folder_dataset_holding_an_image_bomb_names_the_file_when_it_is_read()
    {
        string root = fixture.NewPath("bomb-folder-");
        ImageFolders.Write(root, classes: 2, train: 2, val: 1, side: 8);
        string bomb = Path.Combine(root, "train", "class1", "img999.png");
        File.WriteAllBytes(bomb, HostileImages.DeclaredPng(50000));
        var splits = DatasetRegistry.Load("folder", new DatasetOptions { DataDir = root, ImageSize = 8 });
        int index = splits.Train.Files!.Paths.ToList().IndexOf(bomb);

        var e = Assert.Throws<InvalidInputException>(() => splits.Train.Image(index).ToArray());

        Assert.StartsWith($"{bomb}: the image declares 50000x50000 = 2500000000 pixels", e.Message);
        Assert.Equal(8 * 8 * 3, splits.Train.Image(0).Length); // the dataset's other files still read
    }

    // ---- sizes, flags, normalizations ----

    [Theory]
    [InlineData("out_channels", 1_000_000_000)]
    [InlineData("image_size", 1_000_000_000)]
    [InlineData("classes", 2_000_000_000)]
    public void An_architecture_too_large_for_this_machine_is_refused_before_it_is_built(string field, int value)
    {
        var arch = JsonNode.Parse(File.ReadAllText(fixture.Architecture))!;
        if (field == "out_channels")
        {
            arch["stem"]!["out_channels"] = value;
            arch["blocks"]![0]!["in_channels"] = value;
        }
        else arch[field] = value;
        string file = fixture.NewPath("huge-") + ".json";
        File.WriteAllText(file, arch.ToJsonString());

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidInputException>(() => ArchitectureFile.Load(file, CodingSchemeSet.BuiltInsAndFiles));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        if (field != "classes") Assert.Matches(@"parameters and .* activations per image need .* in float32, more than the .* of memory here$", e.Message);
        Assert.StartsWith(Path.GetFileName(file), e.Message);

        string meta = Damaged("huge-meta-", m => { m["architecture"] = arch.DeepClone(); return m; });
        var fromMeta = Assert.Throws<InvalidInputException>(() => ModelFile.Load(meta));
        Assert.StartsWith($"{meta} (meta.json): ", fromMeta.Message);
    }

    [Fact]
    public void An_architecture_with_more_blocks_than_any_network_has_is_refused()
    {
        var tiny = Synthetic.Architecture();
        var deep = tiny with { Blocks = [.. tiny.Blocks.Take(1), .. Enumerable.Repeat(tiny.Blocks[0], ArchitectureSpec.MaxBlocks)] };

        var e = Assert.Throws<InvalidInputException>(() => deep.Validate("deep", CodingSchemeSet.BuiltInsAndFiles));

        Assert.Equal("deep: 10001 blocks; an architecture may have at most 10000", e.Message);
    }

    [Theory]
    [InlineData("train", "--threads 1000")]
    [InlineData("train", "--threads 10000")]
    [InlineData("train", "--workers 100000")]
    [InlineData("analyze", "--threads 1000")]
    [InlineData("bench", "--threads 1000")]
    public void A_thread_count_beyond_four_per_core_is_refused_in_one_line(string verb, string flags)
    {
        string[] args = verb switch
        {
            "train" => ["train", "--dataset", "mnist", "--data-dir", fixture.NewPath("missing-"), .. flags.Split(' ')],
            "analyze" => ["analyze", "--checkpoint", fixture.Checkpoint, "--out", fixture.NewPath("report-"), .. flags.Split(' ')],
            _ => ["bench", "--arch", fixture.Architecture, .. flags.Split(' ')],
        };
        var (code, error) = CrxProcess.Run(args);
        Assert.Equal(2, code);
        string flag = flags.Split(' ')[0], value = flags.Split(' ')[1];
        int max = 4 * Environment.ProcessorCount;
        Assert.Equal(flag == "--workers"
            ? $"crx: error: {flag}: {value} is not in 0..{max} (4 per core; 0 means one per core)"
            : $"crx: error: {flag}: {value} is more than {max} (4 per core of the {Environment.ProcessorCount} cores here)", OneLine(error));
    }

    [Fact]
    public void A_batch_size_near_the_integer_limit_evaluates_every_image_in_one_batch()
    {
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir,
            "--batch", int.MaxValue.ToString());

        Assert.True(code == 0, error);
        Assert.Contains("100 validation images", output);
        var loader = CodedResNeXt.Data.Loading.BatchLoader.ForEvaluation(Synthetic.Images(100, 2), Normalization.Unit(1), int.MaxValue);
        Assert.Equal(1, loader.BatchCount);
        Assert.Equal(100, Assert.Single(loader.Epoch(0)).Count);
    }

    [Fact]
    public void A_coding_scheme_of_a_billion_classes_is_refused_before_the_packing_starts()
    {
        var clock = Stopwatch.StartNew();
        var (code, error) = CrxProcess.Run(["codes", "--classes", "1000000000", "--subnns", "64", "--active", "32", "--out", fixture.NewPath("s-") + ".json"]);

        Assert.Equal(2, code);
        Assert.Equal("crx: error: --classes: 1000000000 is more than 100000, the most classes a coding scheme may have", OneLine(error));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_coding_scheme_out_that_cannot_be_written_is_refused_before_the_packing()
    {
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "codes", "--classes", "10", "--subnns", "10", "--active", "5", "--out", "/proc/crx-scheme.json");

        Assert.Equal(2, code);
        Assert.StartsWith("crx: error: --out: cannot write to /proc/crx-scheme.json (", OneLine(error));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("[]", "[]", "has 0 means and 0 stds for 1-channel images")]
    [InlineData("[0.5]", "[0]", "has std 0 on channel 0; it must be a finite number above 0")]
    [InlineData("[0.5]", "[-1]", "has std -1 on channel 0; it must be a finite number above 0")]
    [InlineData("[0.5, 0.5]", "[1, 1]", "has 2 means and 2 stds for 1-channel images")]
    public void A_model_file_whose_normalization_cannot_normalize_is_refused(string mean, string std, string problem)
    {
        string path = Damaged("norm-", m =>
        {
            m["normalization"] = JsonNode.Parse($"{{\"mean\": {mean}, \"std\": {std}}}");
            return m;
        });
        string image = fixture.NewPath("img-") + ".png";
        using (var bitmap = new SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);

        foreach (string[] args in new[] { ["eval", "--checkpoint", path, "--data-dir", fixture.DataDir], new[] { "predict", "--model", path, image } })
        {
            var (code, error) = CrxProcess.Run(args);
            Assert.Equal(2, code);
            Assert.Equal($"crx: error: {path} (meta.json): the normalization {problem}", OneLine(error));
        }
    }

    [Theory]
    [InlineData("--image-size 100000", "--image-size: 100000 is more than 4096 pixels")]
    [InlineData("--resize-size 100000", "--resize-size: 100000 is more than 4096 pixels")]
    [InlineData("--crop-size 100000", "--crop-size: 100000 is more than 4096 pixels")]
    public void An_image_size_far_beyond_any_image_is_refused_before_the_images_are_read(string flags, string expected)
    {
        string root = fixture.NewPath("small-images-");
        ImageFolders.Write(root, classes: 2, train: 2, val: 1, side: 8);

        var (code, error) = CrxProcess.Run(["train", "--dataset", "folder", "--data-dir", root, .. flags.Split(' '), "--out", fixture.NewPath("r-")]);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {expected}", OneLine(error));
    }

    // ---- names that would drive the terminal ----

    private const string Hostile = "\u001b]0;pwned\u0007\u001b[2J";

    [Fact]
    public void Class_names_with_terminal_escapes_are_printed_escaped_by_every_verb()
    {
        string path = Damaged("escapes-", m =>
        {
            m["class_names"]![3] = "three" + Hostile;
            m["architecture"]!["name"] = "tiny" + Hostile;
            return m;
        });
        string image = fixture.NewPath("img-") + ".png";
        using (var bitmap = new SKBitmap(8, 8)) ImageFolders.Save(bitmap, image);
        const string Shown = "\\x1b]0;pwned\\x07\\x1b[2J";

        string[][] commands =
        [
            ["eval", "--checkpoint", path, "--data-dir", fixture.DataDir],
            ["analyze", "--checkpoint", path, "--data-dir", fixture.DataDir, "--classes", "3", "--threshold-samples", "50", "--out", fixture.NewPath("report-"), "--threads", "1"],
            ["extract", "--checkpoint", path, "--data-dir", fixture.DataDir, "--class", "3", "--threshold-samples", "50", "--out", fixture.NewPath("x-") + ".crxb"],
            ["predict", "--model", path, image],
        ];
        foreach (var args in commands)
        {
            var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), args);
            Assert.True(code == 0, $"{args[0]}: {error}");
            Assert.DoesNotContain('\u001b', output + error);
            Assert.DoesNotContain('\u0007', output + error);
            if (args[0] is "eval" or "analyze" or "extract") Assert.Contains("three" + Shown, output);
            if (args[0] is "eval" or "predict") Assert.Contains("tiny" + Shown, output);
        }
    }

    [Fact]
    public void A_class_folder_named_with_escapes_appears_escaped_in_the_one_error_line()
    {
        string root = fixture.NewPath("escaped-folder-");
        ImageFolders.Write(root, classes: 2, train: 1, val: 1, side: 8);
        Directory.Move(Path.Combine(root, "train", "class1"), Path.Combine(root, "train", "class1" + Hostile));

        var (code, error) = CrxProcess.Run(["train", "--dataset", "folder", "--data-dir", root, "--image-size", "8", "--out", fixture.NewPath("r-")]);

        Assert.Equal(2, code);
        string line = OneLine(error);
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("class1\\x1b]0;pwned\\x07\\x1b[2J", line);
    }
}
