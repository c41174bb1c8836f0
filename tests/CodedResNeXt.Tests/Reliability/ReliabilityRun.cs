using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// The synthetic task written as Fashion-MNIST IDX files, and one finished 2-epoch run on it (trained in-process in
/// about a second), shared by the reliability tests. Tests that change a run work on a copy (<see cref="CopyRun"/>).
/// </summary>
public sealed class ReliabilityRun : IDisposable
{
    public const int Epochs = 2;
    private readonly TempDirectory _dir = new();

    public ReliabilityRun()
    {
        DataDir = _dir["data"];
        WriteIdx(DataDir, Synthetic.Splits(), Synthetic.Side);
        Architecture = Synthetic.ArchitectureFile(_dir.Path);
        RunDir = _dir["run"];
        var data = TrainingData.From(DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = DataDir }), []);
        Options = Synthetic.Training(Architecture, Epochs);
        new Trainer(new TrainingRun(Options, data, RunDir, CodingSchemeSet.BuiltInsAndFiles)).Run(resume: false).Dispose();
    }

    /// <summary>200 training and 100 validation images of 8x8, as fashion-mnist IDX files (gzip).</summary>
    public string DataDir { get; }
    public string Architecture { get; }
    public string RunDir { get; }
    public TrainingOptions Options { get; }
    public string Checkpoint => Path.Combine(RunDir, "last.ckpt");

    /// <summary>A fresh folder path (not created).</summary>
    public string NewPath(string name = "") => _dir[name + Guid.NewGuid().ToString("N")[..8]];

    /// <summary>A copy of the finished run, to resume or damage.</summary>
    public string CopyRun()
    {
        string copy = NewPath("run-");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(RunDir)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    /// <summary>Writes the splits in the fashion-mnist file names; <paramref name="trainSplit"/> false writes only t10k.</summary>
    public static void WriteIdx(string dir, DatasetSplits splits, int side, bool trainSplit = true)
    {
        Directory.CreateDirectory(dir);
        foreach (var (set, prefix) in trainSplit ? new[] { (splits.Train, "train"), (splits.Test, "t10k") } : [(splits.Test, "t10k")])
        {
            DataFixtures.WriteIdxImages(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), set.Count, side, side, gzip: true, set.Pixels.ToArray());
            DataFixtures.WriteIdxLabels(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), set.Labels.Select(l => (byte)l).ToArray(), gzip: true);
        }
    }

    /// <summary>The CLI flags that train on this data from scratch, one thread, into <paramref name="output"/>.</summary>
    public string[] TrainArgs(string output, int epochs, params string[] more) =>
    [
        "train", "--dataset", "fashion-mnist", "--data-dir", DataDir, "--arch", Architecture, "--epochs", epochs.ToString(),
        "--batch", "20", "--lr", "0.1", "--seed", "7", "--threads", "1", "--flip", "false", "--out", output, .. more,
    ];

    public void Dispose() => _dir.Dispose();
}

/// <summary>The reliability tests share one run, and several start CLI processes: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilityRun>
{
    public const string Name = "reliability run";
}
