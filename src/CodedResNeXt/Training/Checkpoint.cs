using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>Where a run stands after an epoch.</summary>
public sealed record TrainingState(int Epoch, double BestTop1, EpochMetrics Metrics);

/// <summary>
/// Everything needed to rebuild and use a trained network without the options that made it: architecture,
/// coding schemes (the codewords themselves), class names, input normalization, how it was trained, and where
/// training stood.
/// </summary>
public sealed record CheckpointInfo(
    int Format,
    ArchitectureSpec Architecture,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Schemes,
    IReadOnlyList<string> ClassNames,
    Normalization Normalization,
    string Dataset,
    IReadOnlyList<int> ExcludedClasses,
    TrainingOptions Options,
    TrainingState State)
{
    /// <summary>Resolves scheme names from the codewords stored in the checkpoint.</summary>
    public Func<string, CodingScheme> SchemeResolver() => Checkpoint.SchemeResolver(Schemes, "the checkpoint");
}

/// <summary>
/// A checkpoint file: a zip holding meta.json (<see cref="CheckpointInfo"/>), model.safetensors (PyTorch-style
/// names, BN statistics included), optimizer.bin (TorchSharp's optimizer state) and rng.bin (the run's generator).
/// Written to a temporary file and renamed, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;

    public static readonly JsonSerializerOptions Json = new(ArchitectureFile.JsonOptions)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static void Save(string path, TrainingRun run, CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator, TrainingState state)
    {
        var info = new CheckpointInfo(FormatVersion, run.Architecture, SchemesOf(network), run.Data.ClassNames, run.Data.Normalization,
            run.Options.Dataset, run.Data.ExcludedClasses, run.Options, state);
        WriteAtomically(path, info, network, zip =>
        {
            using (var opt = new BinaryWriter(zip.CreateEntry("optimizer.bin", CompressionLevel.NoCompression).Open()))
                ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(opt);
            using (var rng = zip.CreateEntry("rng.bin", CompressionLevel.NoCompression).Open())
            using (var generatorState = generator.get_state())
                rng.Write(generatorState.bytes);
        });
    }

    /// <summary>
    /// Writes a model zip: meta.json (<paramref name="meta"/>), model.safetensors (the network's state_dict), then
    /// whatever <paramref name="more"/> adds; to a temporary file renamed at the end, so a crash never leaves a
    /// half-written file. Shared by checkpoints and extracted binary classifiers.
    /// </summary>
    internal static void WriteAtomically<TMeta>(string path, TMeta meta, CodedResNeXtNetwork network, Action<ZipArchive>? more = null)
    {
        AtomicFile.Write(path, temp =>
        {
            using var zip = ZipFile.Open(temp, ZipArchiveMode.Create);
            using (var json = zip.CreateEntry("meta.json", CompressionLevel.Fastest).Open())
                JsonSerializer.Serialize(json, meta, Json);
            using (var weights = zip.CreateEntry("model.safetensors", CompressionLevel.NoCompression).Open())
                SafeTensors.Save(weights, network.state_dict());
            more?.Invoke(zip);
        });
    }

    /// <summary>The codewords of every coding scheme the network's coded blocks use, by scheme name.</summary>
    internal static Dictionary<string, IReadOnlyList<string>> SchemesOf(CodedResNeXtNetwork network) =>
        network.CodedBlocks.Select(b => b.Scheme).DistinctBy(s => s.Name).ToDictionary(s => s.Name, s => s.ToStrings());

    /// <summary>Resolves scheme names from stored codewords; <paramref name="owner"/> ("the checkpoint") names the file kind in errors.</summary>
    internal static Func<string, CodingScheme> SchemeResolver(IReadOnlyDictionary<string, IReadOnlyList<string>> schemes, string owner)
    {
        var parsed = schemes.ToDictionary(s => s.Key, s => CodingScheme.Parse(s.Key, s.Value));
        return name => parsed.TryGetValue(name, out var scheme)
            ? scheme
            : throw new InvalidInputException($"{owner} has no coding scheme '{name}'");
    }

    /// <summary>Reads the description of a checkpoint without building its network.</summary>
    /// <param name="flag">the flag that named the file, for the error when it is missing</param>
    public static CheckpointInfo ReadInfo(string path, string flag = "--checkpoint")
    {
        using var zip = Open(path, flag);
        return ReadInfo(zip, path);
    }

    /// <summary>Builds the trained network of a checkpoint, in eval mode.</summary>
    public static (CodedResNeXtNetwork Network, CheckpointInfo Info) Load(string path)
    {
        using var zip = Open(path);
        var info = ReadInfo(zip, path);
        var network = new CodedResNeXtNetwork(info.Architecture, info.SchemeResolver(),
            codingLoss: new CodingLoss(info.Options.LossExponent, info.Options.LossThreshold));
        LoadWeights(zip, path, network);
        network.eval();
        return (network, info);
    }

    /// <summary>Puts a run back where the checkpoint left it: weights, optimizer, the run's random generator.</summary>
    public static TrainingState Restore(string path, CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator)
    {
        using var zip = Open(path, "--resume");
        var info = ReadInfo(zip, path);
        LoadWeights(zip, path, network);
        using (var opt = new BinaryReader(Entry(zip, path, "optimizer.bin")))
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(opt);
        using (var rng = Entry(zip, path, "rng.bin"))
        {
            var buffer = new MemoryStream();
            rng.CopyTo(buffer);
            using var state = torch.tensor(buffer.ToArray(), dtype: ScalarType.Byte);
            generator.set_state(state);
        }
        return info.State;
    }

    internal static void LoadWeights(ZipArchive zip, string path, CodedResNeXtNetwork network, string kind = "checkpoint")
    {
        using var weights = Entry(zip, path, "model.safetensors", kind);
        var buffer = new MemoryStream();
        weights.CopyTo(buffer);
        buffer.Position = 0;
        SafeTensors.LoadInto(network, buffer, $"{path} (model.safetensors)");
        Divergence.RequireFiniteWeights(network, path);
    }

    private static CheckpointInfo ReadInfo(ZipArchive zip, string path)
    {
        var info = ReadMeta<CheckpointInfo>(zip, path);
        if (info.Format != FormatVersion)
            throw new InvalidInputException($"{path}: checkpoint format {info.Format}, this version reads format {FormatVersion}");
        ModelFileChecks.RequireConsistent(info, path);
        return info;
    }

    /// <summary>Deserializes meta.json; <paramref name="kind"/> ("checkpoint") names the file kind in errors.</summary>
    internal static TMeta ReadMeta<TMeta>(ZipArchive zip, string path, string kind = "checkpoint")
    {
        using var meta = Entry(zip, path, "meta.json", kind);
        try
        {
            return JsonSerializer.Deserialize<TMeta>(meta, Json) ?? throw new InvalidInputException($"{path}: meta.json is empty");
        }
        catch (JsonException e) { throw new InvalidInputException($"{path}: meta.json is not valid: {e.Message.Split('\n')[0]}"); }
    }

    internal static ZipArchive Open(string path, string flag = "--checkpoint", string kind = "checkpoint")
    {
        if (Directory.Exists(path))
            throw new InvalidInputException($"{flag}: {path} is a folder; give a {kind} file{(kind == "checkpoint" ? $" such as {Path.Combine(path, "best.ckpt")}" : "")}");
        if (!File.Exists(path)) throw new InvalidInputException($"{flag}: {path} does not exist");
        try { return ZipFile.OpenRead(path); }
        catch (InvalidDataException) { throw new InvalidInputException($"{path}: not a {kind} (not a zip archive)"); }
    }

    /// <summary>An entry's bytes, read whole so that a damaged archive fails here, as bad input, not mid-parse.</summary>
    internal static Stream Entry(ZipArchive zip, string path, string name, string kind = "checkpoint")
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidInputException($"{path}: not a {kind} (no {name} inside)");
        var buffer = new MemoryStream();
        try
        {
            using var stream = entry.Open();
            stream.CopyTo(buffer);
        }
        catch (InvalidDataException e) { throw new InvalidInputException($"{path}: damaged {kind}: {name} cannot be read ({e.Message})"); }
        buffer.Position = 0;
        return buffer;
    }
}
