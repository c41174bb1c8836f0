using System.IO.Compression;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>
/// Where a run stands: <paramref name="Epoch"/> epochs done, then <paramref name="StepInEpoch"/> steps of the next
/// (non-zero only when --max-steps stopped it mid-epoch; <paramref name="Metrics"/> then cover those steps, unvalidated).
/// </summary>
/// <param name="Epoch">epochs finished</param>
/// <param name="BestTop1">the best validation top-1 of the finished epochs; NaN before any</param>
/// <param name="Metrics">the last finished epoch's figures, or those of the steps since when <paramref name="StepInEpoch"/> is not 0</param>
/// <param name="StepInEpoch">optimizer steps already taken in the next epoch (0 at an epoch's end)</param>
public sealed record TrainingState(int Epoch, double BestTop1, EpochMetrics Metrics, int StepInEpoch = 0)
{
    /// <summary>The state of a network nothing has trained here (an imported or untrained one): epoch 0, no figures.</summary>
    /// <param name="codedBlocks">the network's coded blocks, one per-block figure each</param>
    public static TrainingState NothingTrained(int codedBlocks)
    {
        var none = new EpochMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN, Enumerable.Repeat(double.NaN, codedBlocks).ToList(),
            double.NaN, Enumerable.Repeat(double.NaN, codedBlocks).ToList(), double.NaN, double.NaN, 0);
        return new TrainingState(0, double.NaN, none);
    }
}

/// <summary>The "training" section of a checkpoint's metadata: how the network was trained and where training stood.</summary>
/// <param name="Options">the run's hyperparameters</param>
/// <param name="State">where training stood when the checkpoint was written</param>
public sealed record TrainingRecord(TrainingOptions Options, TrainingState State);

/// <summary>A checkpoint's description: the model's metadata (shared with every model file) and its training record.</summary>
/// <param name="Model">the model file's metadata</param>
/// <param name="Options">the run's hyperparameters</param>
/// <param name="State">where training stood when the checkpoint was written</param>
public sealed record CheckpointInfo(ModelMetadata Model, TrainingOptions Options, TrainingState State)
{
    /// <summary>The trained network's architecture.</summary>
    public ArchitectureSpec Architecture => Model.Architecture;
    /// <summary>All K class names, in class order.</summary>
    public IReadOnlyList<string> ClassNames => Model.ClassNames;
    /// <summary>The per-channel normalization the network was trained with; inputs must get the same.</summary>
    public Normalization Normalization => Model.Normalization;
    /// <summary>The catalogue name of the dataset it was trained on (<see cref="DatasetCatalog"/>).</summary>
    public string Dataset => Model.Dataset;
    /// <summary>Classes held out of training, kept as out-of-distribution data.</summary>
    public IReadOnlyList<int> ExcludedClasses => Model.ExcludedClasses;
}

/// <summary>
/// A training checkpoint: a model file (<see cref="ModelFile"/>) whose metadata has a "training" section, plus
/// optimizer.bin (TorchSharp's optimizer state) and rng.bin (the run's generator), so a run resumes exactly.
/// </summary>
public static class Checkpoint
{
    /// <summary>The <see cref="ModelMetadata.Kind"/> of a training checkpoint.</summary>
    public const string Kind = "checkpoint";
    private const string Section = "training", OptimizerEntry = "optimizer.bin", GeneratorEntry = "rng.bin";

    /// <summary>
    /// Writes a resumable checkpoint to <paramref name="path"/>, atomically: the network's weights, metadata with the
    /// run's options and <paramref name="state"/>, the optimizer's state and the run's generator.
    /// </summary>
    /// <param name="path">where the checkpoint goes; an existing file is replaced</param>
    /// <param name="run">the run: options, class names, normalization, excluded classes</param>
    /// <param name="network">the network being trained</param>
    /// <param name="optimizer">the run's optimizer (a TorchSharp optimizer with a state_dict)</param>
    /// <param name="generator">the run's random generator (dropSubNNs masks)</param>
    /// <param name="state">where the run stands</param>
    public static void Save(string path, TrainingRun run, CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator, TrainingState state)
    {
        var meta = ModelMetadata.Of(Kind, network, run.Data.ClassNames, run.Data.Normalization, run.Options.Dataset, run.Data.ExcludedClasses)
            .WithSection(Section, new TrainingRecord(run.Options, state));
        ModelFile.Write(path, meta, network, zip =>
        {
            using (var opt = new BinaryWriter(zip.CreateEntry(OptimizerEntry, CompressionLevel.NoCompression).Open()))
                ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(opt);
            using (var rng = zip.CreateEntry(GeneratorEntry, CompressionLevel.NoCompression).Open())
            using (var generatorState = generator.get_state())
                rng.Write(generatorState.bytes);
        });
    }

    /// <summary>
    /// A checkpoint of weights only (an imported model): its training section describes it, but without optimizer or
    /// generator state it can start a run (<see cref="InitialWeights"/>) and not resume one.
    /// </summary>
    public static void SaveWeightsOnly(string path, ModelMetadata model, CodedResNeXtNetwork network, TrainingOptions options, TrainingState state) =>
        ModelFile.Write(path, model.WithSection(Section, new TrainingRecord(options, state)), network);

    /// <summary>Whether the checkpoint holds what resuming needs (a weights-only one does not).</summary>
    public static bool CanResume(string path)
    {
        using var zip = ModelFile.Open(path);
        return zip.GetEntry(OptimizerEntry) is not null && zip.GetEntry(GeneratorEntry) is not null;
    }

    /// <summary>Reads the description of a checkpoint without building its network.</summary>
    public static CheckpointInfo ReadInfo(string path) => Info(ModelFile.ReadMetadata(path), path);

    /// <summary>Builds the trained network of a checkpoint, in eval mode.</summary>
    public static (CodedResNeXtNetwork Network, CheckpointInfo Info) Load(string path)
    {
        using var zip = ModelFile.Open(path);
        var info = Info(ModelFile.ReadMetadata(zip, path), path);
        return (ModelFile.LoadNetwork(zip, path, info.Model), info);
    }

    /// <summary>Puts a run back where the checkpoint left it: weights, optimizer, the run's random generator.</summary>
    public static TrainingState Restore(string path, CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator)
    {
        using var zip = ModelFile.Open(path);
        var info = Info(ModelFile.ReadMetadata(zip, path), path);
        ModelFile.LoadWeights(zip, path, network);
        using (var opt = new BinaryReader(ModelFile.Entry(zip, path, OptimizerEntry)))
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(opt);
        using (var rng = ModelFile.Entry(zip, path, GeneratorEntry))
        {
            var buffer = new MemoryStream();
            rng.CopyTo(buffer);
            using var state = torch.tensor(buffer.ToArray(), dtype: ScalarType.Byte);
            generator.set_state(state);
        }
        return info.State;
    }

    private static CheckpointInfo Info(ModelMetadata meta, string path)
    {
        if (meta.Kind != Kind) throw InvalidInputException.ForFile(path, $"a {meta.Kind} file, not a training checkpoint");
        var record = meta.Section<TrainingRecord>(Section, path);
        return new CheckpointInfo(meta, record.Options, record.State);
    }
}
