using System.Text.Json.Nodes;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Items 6, 7, 8 and 9: every bad flag value, unwritable output and malformed command line gets one line
/// `crx: error: …` naming the flag, and exit code 2, before any work.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BadInputTests(ReliabilityRun fixture)
{
    private static string OneLine(string error) => Assert.Single(error.Trim().Split('\n'));

    [Theory]
    [InlineData("--lr -1", "--lr: -1 must be a finite number above 0")]
    [InlineData("--lr NaN", "--lr: 'NaN' is not a finite number; see crx train --help")]
    [InlineData("--lr Infinity", "--lr: 'Infinity' is not a finite number; see crx train --help")]
    [InlineData("--lr 0,1", "--lr: '0,1' is not a number: write a decimal point and no group separators (0.1, 1500); see crx train --help")]
    [InlineData("--lr 1,5", "--lr: '1,5' is not a number: write a decimal point and no group separators (0.1, 1500); see crx train --help")]
    [InlineData("--lr 1e39", "--lr: 1E+39 is beyond float32, which training computes in (at most 3.4E+38)")]
    [InlineData("--weight-decay 1e300", "--weight-decay: 1E+300 is beyond float32, which training computes in (at most 3.4E+38)")]
    [InlineData("--mu 1e39", "--mu: 1E+39 is beyond float32, which training computes in (at most 3.4E+38)")]
    [InlineData("--exclude-classes ,", "--exclude-classes: ',' has an empty item; give classes separated by commas (0,6), or leave the flag out")]
    [InlineData("--exclude-classes 0,,6", "--exclude-classes: '0,,6' has an empty item; give classes separated by commas (0,6), or leave the flag out")]
    [InlineData("--momentum 0", "--momentum: Nesterov momentum needs a momentum above 0, not 0 (or turn Nesterov off)")]
    [InlineData("--momentum -1", "--momentum: -1 is not in [0, 1)")]
    [InlineData("--weight-decay -1", "--weight-decay: -1 must be a finite number, 0 or more")]
    [InlineData("--mu -1", "--mu: -1 must be a finite number, 0 or more")]
    [InlineData("--warmup -1", "--warmup: -1 must be a finite number of epochs, 0 or more")]
    [InlineData("--lr 0.1 --min-lr 0.5", "--min-lr: 0.5 is above the initial learning rate 0.1; the cosine decays from that rate to this one")]
    [InlineData("--loss-exponent 0", "--loss-exponent: 0 must be a finite number above 0")]
    [InlineData("--p-drop 1", "--p-drop: 1 is not in [0, 1)")]
    [InlineData("--p-drop -0.5", "--p-drop: -0.5 is not in [0, 1)")]
    [InlineData("--loss-threshold -1", "--loss-threshold: -1 must be a finite number, 0 or more")]
    public void A_bad_numeric_training_flag_is_refused_in_one_line_before_the_data_loads(string flags, string expected)
    {
        // The data folder does not exist: the flag must be refused before anything reads it.
        string[] args = ["train", "--dataset", "mnist", "--data-dir", fixture.NewPath("missing-"), .. flags.Split(' ')];
        var (code, error) = CrxProcess.Run(args);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {expected}", OneLine(error));
    }

    [Theory]
    [InlineData("import --from official --arch cifar10 weights.safetensors")]
    [InlineData("export model.ckpt --format onnx")]
    [InlineData("codes --classes 10 --subnns 10 --active 5")]
    [InlineData("train --dataset mnist --data-dir missing")]
    [InlineData("analyze --checkpoint model.ckpt")]
    [InlineData("extract --checkpoint model.ckpt --class 0")]
    [InlineData("quickstart --data-dir missing")]
    [InlineData("sweep --param mu --values 0,1 --data-dir missing")]
    public void An_empty_out_is_refused_in_one_line_in_every_verb(string command)
    {
        string verb = command.Split(' ')[0];
        var (code, error) = CrxProcess.Run([.. command.Split(' '), "--out", ""]);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --out: the value is empty; see crx {verb} --help", OneLine(error));
    }

    [Theory]
    [InlineData("train --epochs ten", "crx: error: --epochs: 'ten' is not an integer; see crx train --help")]
    [InlineData("train --lr fast", "crx: error: --lr: 'fast' is not a number; see crx train --help")]
    [InlineData("train --bogus 1", "crx: error: --bogus: unknown flag; see crx train --help")]
    [InlineData("trian", "crx: error: 'trian': unknown verb or argument; see crx --help")]
    [InlineData("eval", "crx: error: --checkpoint: required; see crx eval --help")]
    [InlineData("", "crx: error: no verb given; see crx --help")]
    public void A_malformed_command_line_gets_one_line_and_exit_2(string command, string expected)
    {
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Equal(expected, OneLine(error));
        Assert.Equal("", output); // no help dump
    }

    [Fact]
    public void Unwritable_outputs_are_refused_before_any_work()
    {
        string file = fixture.NewPath("a-file-");
        File.WriteAllText(file, "not a folder");
        string[][] commands =
        [
            ["train", "--dataset", "mnist", "--data-dir", fixture.DataDir, "--out", "/proc/crx-run"],
            ["train", "--dataset", "mnist", "--data-dir", fixture.DataDir, "--out", file],
            ["train", "--dataset", "mnist", "--data-dir", fixture.DataDir, "--out", Path.Combine(file, "run")],
            ["analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--out", "/proc/crx-report"],
            ["analyze", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--out", Path.Combine(file, "report")],
            ["extract", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--class", "0", "--out", "/sys/crx.crxb"],
            ["extract", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--class", "0", "--out", Path.Combine(file, "x.crxb")],
            ["extract", "--checkpoint", fixture.Checkpoint, "--data-dir", fixture.DataDir, "--class", "0", "--out", fixture.RunDir],
        ];
        foreach (var args in commands)
        {
            var (code, error) = CrxProcess.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.StartsWith("crx: error: --out: ", OneLine(error));
        }
        Assert.False(Directory.Exists(Path.Combine(fixture.RunDir, "x.crxb")));
    }

    [Fact]
    public void A_checkpoint_whose_class_names_do_not_match_its_classes_is_refused()
    {
        string damaged = fixture.NewPath("names-") + ".ckpt";
        var meta = JsonNode.Parse(ZipEntries.Read(fixture.Checkpoint, "meta.json"))!;
        meta["class_names"]!.AsArray().RemoveAt(9);
        ZipEntries.Replace(fixture.Checkpoint, damaged, "meta.json", System.Text.Encoding.UTF8.GetBytes(meta.ToJsonString()));

        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", damaged, "--data-dir", fixture.DataDir);

        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {damaged}: meta.json names 9 classes but the network has 10", OneLine(error));
    }
}
