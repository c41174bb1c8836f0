using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Analysis;

/// <summary>
/// Tiny networks trained once for all analysis tests (about a second each): the synthetic 10-class task on the
/// tiny coded architecture, once on every class and once without classes 8 and 9. The synthetic splits are
/// also written as Fashion-MNIST IDX files, so the CLI can load "fashion-mnist" from <see cref="DataDir"/>.
/// </summary>
public sealed class TinyRuns : IDisposable
{
    public static readonly int[] HeldOutClasses = [8, 9];

    private readonly TempDirectory _dir = new();
    private readonly Lazy<string> _coded;
    private readonly Lazy<string> _heldOut;
    private readonly Lazy<string> _dataDir;

    public TinyRuns()
    {
        _coded = new(() => Train("coded", []));
        _heldOut = new(() => Train("held-out", HeldOutClasses));
        _dataDir = new(() => WriteIdx(_dir["fashion"], Synthetic.Splits()));
    }

    /// <summary>last.ckpt of a network trained on every synthetic class.</summary>
    public string Coded => _coded.Value;

    /// <summary>last.ckpt of a network trained without classes 8 and 9.</summary>
    public string HeldOut => _heldOut.Value;

    /// <summary>The synthetic splits as Fashion-MNIST IDX files.</summary>
    public string DataDir => _dataDir.Value;

    public string Root => _dir.Path;

    public static TrainingOptions Options(string architecture, int epochs) => Synthetic.Training(architecture, epochs);

    public static TrainingData Data(IReadOnlyList<int> excluded) => TrainingData.From(Synthetic.Splits(), excluded);

    /// <summary>Normalized images and labels of a whole (small) dataset, as the checkpoint's network sees them.</summary>
    public static (Tensor Images, Tensor Labels) Tensors(ImageDataset dataset, Normalization normalization) =>
        BatchLoader.ForEvaluation(dataset, normalization, dataset.Count).Build(0, 0).ToTensors();

    public static void WriteIdxFiles(string dir, DatasetSplits splits) => DataFixtures.WriteIdxFolder(dir, splits);

    private static string WriteIdx(string dir, DatasetSplits splits)
    {
        WriteIdxFiles(dir, splits);
        return dir;
    }

    private string Train(string name, int[] excluded)
    {
        string arch = Synthetic.ArchitectureFile(_dir.Path);
        var options = Options(arch, epochs: 6) with { ExcludeClasses = excluded };
        var run = new TrainingRun(options, Data(excluded), _dir[name], CodingSchemeSet.BuiltInsAndFiles);
        new Trainer(run).Run(resume: false).Dispose();
        return run.LastCheckpointPath;
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// The analysis tests that build networks. They run alone, after the parallel tests: building a network draws
/// its initial weights from torch's global generator, which would shift the seeded initialization of a training
/// run in another test running at the same time (TrainerTests' exact-resume check).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TinyRunsCollection : ICollectionFixture<TinyRuns>
{
    public const string Name = "tiny runs";
}
