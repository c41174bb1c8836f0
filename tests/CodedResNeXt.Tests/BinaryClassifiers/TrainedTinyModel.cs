using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.BinaryClassifiers;

/// <summary>
/// One tiny coded network trained for a second on the synthetic task, shared by the binary-classifier tests. The
/// synthetic images are written as Fashion-MNIST IDX files, so the checkpoint names a dataset the CLI can load
/// (`--data-dir`) and the classes have Fashion-MNIST's names.
/// </summary>
public sealed class TrainedTinyModel : IDisposable
{
    private readonly TempDirectory _directory = new();

    public TrainedTinyModel()
    {
        var splits = Synthetic.Splits();
        DataDir = Path.Combine(_directory.Path, "data");
        Directory.CreateDirectory(DataDir);
        WriteIdx(splits.Train, "train");
        WriteIdx(splits.Test, "t10k");
        Data = TrainingData.From(DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = DataDir }), []);

        var options = Synthetic.Training(Synthetic.ArchitectureFile(_directory.Path), epochs: 4);
        var run = new TrainingRun(options, Data, Path.Combine(_directory.Path, "run"), CodingSchemeSet.BuiltInsAndFiles);
        new Trainer(run).Run(resume: false).Dispose();
        CheckpointPath = run.LastCheckpointPath;
    }

    public string DataDir { get; }
    public string CheckpointPath { get; }
    /// <summary>The data the checkpoint was trained on, loaded the way `crx extract` loads it.</summary>
    public TrainingData Data { get; }

    /// <summary>A fresh file path in the fixture's folder.</summary>
    public string NewPath(string extension) => Path.Combine(_directory.Path, Guid.NewGuid().ToString("N")[..8] + extension);

    /// <summary>
    /// The images as the network sees them, normalized here by the definition (b / 255 - mean) / std, independently
    /// of the batch loader.
    /// </summary>
    public static Tensor Normalized(ImageDataset images, Normalization normalization)
    {
        var bytes = images.Pixels.ToArray();
        using var raw = tensor(bytes.Select(b => (float)b).ToArray(), [images.Count, images.Channels, images.Height, images.Width]);
        using var mean = tensor(normalization.Mean.ToArray()).reshape(1, -1, 1, 1);
        using var std = tensor(normalization.Std.ToArray()).reshape(1, -1, 1, 1);
        return (raw / 255f - mean) / std;
    }

    private void WriteIdx(ImageDataset images, string split)
    {
        DataFixtures.WriteIdxImages(Path.Combine(DataDir, $"{split}-images-idx3-ubyte.gz"), images.Count, images.Height, images.Width,
            gzip: true, images.Pixels.ToArray());
        DataFixtures.WriteIdxLabels(Path.Combine(DataDir, $"{split}-labels-idx1-ubyte.gz"), images.Labels.Select(l => (byte)l).ToArray(), gzip: true);
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary>
/// The binary-classifier tests share one trained network, and the CLI tests redirect the process's console, so they
/// run together and alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainedTinyModelCollection : ICollectionFixture<TrainedTinyModel>
{
    public const string Name = "trained tiny model";
}
