using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Tests.Reliability;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Display;

/// <summary>
/// What the terminal tests run crx on: the synthetic task as Fashion-MNIST IDX files, a finished 2-epoch run on it,
/// and a training set large enough that one epoch of the tiny network lasts minutes (for what only a long epoch
/// shows: the periodic progress line, and Ctrl+C in the middle of an epoch).
/// </summary>
public sealed class TerminalRun : IDisposable
{
    // At batch 20 this is 15,000 steps: minutes on any machine, interrupted long before its end.
    private const int LongTrainImages = 300_000;
    private readonly TempDirectory _dir = new();

    public TerminalRun()
    {
        Work = _dir["work"];
        Directory.CreateDirectory(Work);
        DataDir = _dir["data"];
        ReliabilityRun.WriteIdx(DataDir, Synthetic.Splits(), Synthetic.Side);
        LongDataDir = _dir["long-data"];
        ReliabilityRun.WriteIdx(LongDataDir, Synthetic.Splits(train: LongTrainImages), Synthetic.Side);
        Architecture = Synthetic.ArchitectureFile(_dir.Path);
        string run = _dir["run"];
        var data = TrainingData.From(DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = DataDir }), []);
        new Trainer(new TrainingRun(Synthetic.Training(Architecture, 2), data, run, CodingSchemeSet.BuiltInsAndFiles)).Run(resume: false).Dispose();
        Checkpoint = Path.Combine(run, "last.ckpt");
    }

    /// <summary>The working folder crx starts in.</summary>
    public string Work { get; }
    public string DataDir { get; }
    public string LongDataDir { get; }
    public string Architecture { get; }
    /// <summary>A finished run's last.ckpt, for analyze and extract.</summary>
    public string Checkpoint { get; }

    /// <summary>A fresh path (not created).</summary>
    public string NewPath(string name) => _dir[name + Guid.NewGuid().ToString("N")[..8]];

    /// <summary>`crx train` flags for one long epoch on one thread into <paramref name="output"/>.</summary>
    public string[] LongTrainArgs(string output) =>
    [
        "train", "--dataset", "fashion-mnist", "--data-dir", LongDataDir, "--arch", Architecture, "--epochs", "1", "--batch", "20",
        "--seed", "7", "--threads", "1", "--flip", "false", "--out", output,
    ];

    public void Dispose() => _dir.Dispose();
}

/// <summary>The terminal tests start crx processes that compete for the CPU: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TerminalCollection : ICollectionFixture<TerminalRun>
{
    public const string Name = "terminal";
}
