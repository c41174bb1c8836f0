using System.IO.Compression;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// A training checkpoint: a model file (<see cref="ModelFile"/>) whose metadata has a "training" section, plus
/// optimizer.bin (TorchSharp's optimizer state) and rng.bin (the run's generator), so a run resumes exactly.
/// </summary>
internal static class Checkpoint
{
    /// <summary>The <see cref="ModelMetadata.Kind"/> of a training checkpoint.</summary>
    public const string Kind = "checkpoint";
    private const string Section = "training", OptimizerEntry = "optimizer.bin", GeneratorEntry = "rng.bin", LogEntry = "metrics.jsonl";

    /// <summary>
    /// Writes a resumable checkpoint (atomically): the network with <paramref name="meta"/> (of kind <see cref="Kind"/>),
    /// the training record, and the optimizer's and generator's state.
    /// </summary>
    /// <param name="path">the .ckpt file</param>
    /// <param name="meta">the model's metadata (<see cref="ModelMetadata.Of"/>)</param>
    /// <param name="record">how the network was trained and where training stands</param>
    /// <param name="network">the network</param>
    /// <param name="optimizer">the optimizer, whose state (momentum buffers) resuming needs</param>
    /// <param name="generator">the run's generator, whose state resuming needs</param>
    /// <param name="log">the run's metrics.jsonl up to this state: kept inside, so resume can rebuild a damaged log</param>
    internal static void Save(string path, ModelMetadata meta, TrainingRecord record, CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator,
        IReadOnlyList<EpochMetrics>? log = null)
    {
        meta = meta.WithSection(Section, record);
        ModelFile.Write(path, meta, network, zip =>
        {
            using (var opt = new BinaryWriter(zip.CreateEntry(OptimizerEntry, CompressionLevel.NoCompression).Open()))
                ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(opt);
            using (var rng = zip.CreateEntry(GeneratorEntry, CompressionLevel.NoCompression).Open())
            using (var generatorState = generator.get_state())
                rng.Write(generatorState.bytes);
            if (log is not null)
                using (var lines = new StreamWriter(zip.CreateEntry(LogEntry, CompressionLevel.Fastest).Open()))
                    foreach (var m in log.Where(m => m.Epoch <= record.State.Epoch))
                        lines.Write(System.Text.Json.JsonSerializer.Serialize(m, MetricsLog.Json) + "\n");
        });
    }

    /// <summary>
    /// The copy of metrics.jsonl a checkpoint holds (empty for checkpoints written before it held one); its lines
    /// that do not parse are skipped.
    /// </summary>
    public static IReadOnlyList<EpochMetrics> ReadLog(string path)
    {
        using var zip = ModelFile.Open(path);
        if (zip.GetEntry(LogEntry) is null) return [];
        var meta = ModelFile.ReadMetadata(zip, path);
        using var reader = new StreamReader(ModelFile.Entry(zip, path, LogEntry, ModelFile.EntryLimit(meta, LogEntry)));
        var epochs = new List<EpochMetrics>();
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (line.Trim().Length > 0 && System.Text.Json.JsonSerializer.Deserialize<EpochMetrics>(line, MetricsLog.Json) is { } m) epochs.Add(m);
            }
            catch (System.Text.Json.JsonException) { }
        }
        return epochs;
    }

    /// <summary>
    /// A checkpoint of weights only (an imported model): its training section describes it, but without optimizer or
    /// generator state it can start a run (<see cref="InitialWeights"/>) and not resume one.
    /// </summary>
    /// <param name="path">the .ckpt file</param>
    /// <param name="model">the model's metadata</param>
    /// <param name="network">the network</param>
    /// <param name="options">the options it was made with</param>
    /// <param name="state">where training stands</param>
    /// <param name="exists">when given, the file must be new (<c>crx import</c> never overwrites): the error when it is not</param>
    public static void SaveWeightsOnly(string path, ModelMetadata model, CodedResNeXtNetwork network, TrainingOptions options, TrainingState state,
        Func<Exception>? exists = null) =>
        ModelFile.Write(path, model.WithSection(Section, new TrainingRecord(options, state)), network, exists: exists);

    /// <summary>Whether the checkpoint holds what resuming needs (a weights-only one does not).</summary>
    public static bool CanResume(string path)
    {
        using var zip = ModelFile.Open(path);
        return zip.GetEntry(OptimizerEntry) is not null && zip.GetEntry(GeneratorEntry) is not null;
    }

    /// <summary>
    /// Reads the description of a checkpoint without building its network; one whose weights cannot be what its
    /// architecture declares is refused here, before a resumed or extended run builds that network.
    /// </summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        using var zip = ModelFile.Open(path);
        var meta = ModelFile.ReadMetadata(zip, path);
        ModelFile.RequireWeightsOf(zip, path, meta);
        return Info(meta, path) with { Resumable = zip.GetEntry(OptimizerEntry) is not null && zip.GetEntry(GeneratorEntry) is not null };
    }

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
        using (var opt = new BinaryReader(ModelFile.Entry(zip, path, OptimizerEntry, ModelFile.EntryLimit(info.Model, OptimizerEntry))))
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(opt);
        using (var rng = ModelFile.Entry(zip, path, GeneratorEntry, ModelFile.EntryLimit(info.Model, GeneratorEntry)))
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
