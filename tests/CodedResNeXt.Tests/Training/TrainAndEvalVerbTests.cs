using System.Text.Json;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Training;

/// <summary>`crx train` and `crx eval` end to end, on synthetic 8x8 images written as an MNIST-style IDX folder.</summary>
public sealed class TrainAndEvalVerbTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string WriteData() => DataFixtures.WriteIdxFolder(_tmp["data"], Synthetic.Splits(train: 100, test: 40));

    [Fact]
    public void Train_writes_a_run_that_eval_reads_and_refuses_to_overwrite_it()
    {
        string data = WriteData(), arch = Synthetic.ArchitectureFile(_tmp.Path), run = _tmp["run"];
        string[] train = ["train", "--dataset", "mnist", "--data-dir", data, "--arch", arch, "--epochs", "2", "--batch", "20", "--threads", "1", "--out", run];

        var (code, output, error) = CrxProcess.Run(_tmp.Path, train);
        Assert.True(code == 0, error);
        Assert.Contains("epoch 2/2", output); // stdout is not a terminal: one summary line per epoch
        Assert.Equal(2, MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Count);

        (code, _, error) = CrxProcess.Run(_tmp.Path, train);
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --out: {run} already holds a run; pass --resume to continue it or choose another --out", error.Trim());

        (code, output, error) = CrxProcess.Run(_tmp.Path, "eval", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data-dir", data, "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var classification = root.GetProperty("classification");
        Assert.Equal(40, classification.GetProperty("count").GetInt32());
        Assert.Equal(10, classification.GetProperty("confusion").GetArrayLength());
        Assert.Equal(40, classification.GetProperty("confusion").EnumerateArray().Sum(row => row.EnumerateArray().Sum(c => c.GetInt32())));
        Assert.Equal(3, root.GetProperty("early_decoding").GetProperty("accuracy").GetArrayLength());
    }

    [Theory]
    [InlineData("--epochs", "0", "crx: error: --epochs: 0 must be at least 1")]
    [InlineData("--accumulate", "0", "crx: error: --accumulate: 0 must be at least 1")]
    [InlineData("--dataset", "imagenet21k", "crx: error: --dataset: unknown dataset 'imagenet21k'")]
    [InlineData("--arch", "cifar10", "crx: error: --arch: 'cifar10' takes 3x32x32 images")]
    [InlineData("--normalization", "published", "crx: error: --normalization: published constants exist for cifar10 and cifar100 only, not mnist")]
    [InlineData("--init-from", "nowhere.ckpt", "crx: error: nowhere.ckpt: does not exist")]
    [InlineData("--normalization", "mean", "crx: error: --normalization: 'mean' is neither published nor dataset")]
    [InlineData("--precision", "fp16", "crx: error: --precision: 'fp16' is neither fp32 nor bf16")]
    public void Bad_flags_get_one_line_naming_the_flag(string flag, string value, string expected)
    {
        string data = WriteData();
        var args = new List<string> { "train", "--dataset", "mnist", "--data-dir", data, "--arch", Synthetic.ArchitectureFile(_tmp.Path), "--out", _tmp["bad"] };
        int at = args.IndexOf(flag);
        if (at >= 0) args[at + 1] = value; else args.AddRange([flag, value]);
        var (code, _, error) = CrxProcess.Run(_tmp.Path, args.ToArray());
        Assert.Equal(2, code);
        Assert.StartsWith(expected, error.Trim());
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void A_missing_dataset_file_is_named()
    {
        string empty = _tmp["empty"];
        Directory.CreateDirectory(empty);
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "train", "--dataset", "mnist", "--data-dir", empty, "--out", _tmp["r"]);
        Assert.Equal(2, code);
        Assert.Contains(empty, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
