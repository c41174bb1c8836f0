using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// Model files, checkpoints and extracted classifiers alike: a zip holding meta.json (<see cref="ModelMetadata"/>),
/// model.safetensors (the state_dict with PyTorch names, BN statistics included) and whatever entries the kind adds.
/// Written through <see cref="OutputFile"/>: atomically, so a crash never leaves a half-written model and a stale
/// temporary file never blocks the next write.
/// </summary>
internal static class ModelFile
{
    /// <summary>The names of the metadata entry (meta.json) and the weights entry (model.safetensors) inside a model file.</summary>
    public const string MetaEntry = "meta.json", WeightsEntry = "model.safetensors";

    /// <summary>The JSON settings of meta.json: those of architecture files, with NaN and infinities allowed and unknown fields skipped.</summary>
    public static readonly JsonSerializerOptions Json = new(ArchitectureFile.JsonOptions)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>
    /// Writes meta.json, the network's state_dict, then the entries <paramref name="more"/> adds; atomically
    /// (<see cref="OutputFile"/>). With <paramref name="exists"/>, the file must be new: that is the error when it is not.
    /// </summary>
    public static void Write(string path, ModelMetadata meta, nn.Module network, Action<ZipArchive>? more = null, Func<Exception>? exists = null)
    {
        void Entries(Stream stream)
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var json = zip.CreateEntry(MetaEntry, CompressionLevel.Fastest).Open())
                JsonSerializer.Serialize(json, meta, Json);
            using (var weights = zip.CreateEntry(WeightsEntry, CompressionLevel.NoCompression).Open())
                SafeTensors.Save(weights, network.state_dict());
            more?.Invoke(zip);
        }
        if (exists is null) OutputFile.Write(path, Entries);
        else OutputFile.WriteNew(path, Entries, exists);
    }

    /// <summary>
    /// Rewrites a model file's meta.json through <paramref name="change"/>, copying every other entry (the weights, the
    /// optimizer state) byte for byte; atomically, so a stop mid-write leaves the file as it was.
    /// </summary>
    public static void RewriteMetadata(string path, Func<ModelMetadata, ModelMetadata> change)
    {
        using var source = Open(path);
        var meta = change(ReadMetadata(source, path));
        OutputFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var json = zip.CreateEntry(MetaEntry, CompressionLevel.Fastest).Open())
                JsonSerializer.Serialize(json, meta, Json);
            foreach (var entry in source.Entries.Where(e => e.FullName != MetaEntry))
            {
                using var from = Entry(source, path, entry.FullName, EntryLimit(meta, entry.FullName));
                using var to = zip.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }
        });
    }

    /// <summary>Reads the metadata of a model file without building its network.</summary>
    public static ModelMetadata ReadMetadata(string path)
    {
        using var zip = Open(path);
        return ReadMetadata(zip, path);
    }

    /// <summary>Builds the network of a model file, any kind, in eval mode, with its metadata.</summary>
    public static (CodedResNeXtNetwork Network, ModelMetadata Meta) Load(string path)
    {
        using var zip = Open(path);
        var meta = ReadMetadata(zip, path);
        return (LoadNetwork(zip, path, meta), meta);
    }

    internal static CodedResNeXtNetwork LoadNetwork(ZipArchive zip, string path, ModelMetadata meta)
    {
        RequireWeightsOf(zip, path, meta);
        var network = new CodedResNeXtNetwork(meta.Architecture, meta.SchemeSet);
        try { LoadWeights(zip, path, network); }
        catch
        {
            network.Dispose();
            throw;
        }
        network.eval();
        return network;
    }

    /// <summary>
    /// Weights are stored uncompressed, and compress little anyway: a weights entry whose stored bytes, times this,
    /// fall short of the float32 parameters of the architecture meta.json declares cannot hold them.
    /// </summary>
    public const int MaxInflation = 16;

    /// <summary>
    /// Refuses a model file whose weights entry is too small for the architecture its meta.json declares, before the
    /// network is built: building it allocates every parameter, so a few KB declaring a large architecture would
    /// otherwise cost gigabytes before the missing weights are noticed.
    /// </summary>
    internal static void RequireWeightsOf(ZipArchive zip, string path, ModelMetadata meta)
    {
        var entry = zip.GetEntry(WeightsEntry) ?? throw InvalidInputException.ForFile(path, $"not a model file (no {WeightsEntry} inside)");
        long needed = 4 * meta.Architecture.CountParameters().Total;
        if (entry.CompressedLength * MaxInflation < needed)
            throw InvalidInputException.ForFile(path, $"{WeightsEntry} holds {InputFile.Bytes(entry.CompressedLength)}, too little for the " +
                                                      $"{InputFile.Bytes(needed)} of weights its architecture declares");
    }

    /// <summary>Loads model.safetensors into <paramref name="network"/>: every name and shape must match.</summary>
    public static void LoadWeights(ZipArchive zip, string path, nn.Module network)
    {
        // The weights of this network need its tensors' bytes and a header naming them: nothing more is read.
        long tensorBytes = network.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
        using var weights = Entry(zip, path, WeightsEntry, tensorBytes + HeaderAllowance);
        SafeTensors.LoadInto(network, weights, $"{path} ({WeightsEntry})");
        FiniteWeights.Require(network, path);
    }

    /// <summary>Reads and checks meta.json of an open model file: an <see cref="InvalidInputException"/> naming <paramref name="path"/> when it is missing, invalid, of another format, or names a different number of classes than its network.</summary>
    /// <param name="zip">the open model file</param>
    /// <param name="path">the file's path, for errors</param>
    public static ModelMetadata ReadMetadata(ZipArchive zip, string path)
    {
        ModelMetadata? meta;
        using (var stream = Entry(zip, path, MetaEntry, InputFile.LargeText))
        {
            try { meta = JsonSerializer.Deserialize<ModelMetadata>(stream, Json); }
            catch (JsonException e) { throw InvalidInputException.ForFile(path, $"meta.json is not valid: {e.Message.Split('\n')[0]}"); }
        }
        if (meta is null) throw InvalidInputException.ForFile(path, $"meta.json is empty");
        if (meta.Format != ModelMetadata.CurrentFormat)
            throw InvalidInputException.ForFile(path, $"model file format {meta.Format}, this version reads format {ModelMetadata.CurrentFormat}");
        return Checked(meta, path, $"{path} (meta.json)", "meta.json");
    }

    /// <summary>
    /// The checks every model metadata from outside gets, from a model file's meta.json or an ONNX file's properties:
    /// a buildable architecture, class names for its classes, a normalization that normalizes, parseable codewords
    /// the blocks agree with. Each failure is an <see cref="InvalidInputException"/> naming <paramref name="path"/>.
    /// </summary>
    internal static ModelMetadata Checked(ModelMetadata meta, string path, string source, string where)
    {
        // Before anything is sized from it: an absurd architecture is refused here, not by a failed allocation.
        meta.Architecture.RequireBuildable(source);
        if (meta.ClassNames.Count != meta.Architecture.Classes)
            throw InvalidInputException.ForFile(path, $"{where} names {meta.ClassNames.Count} classes but the network has {meta.Architecture.Classes}");
        meta.Normalization.Validate(source, meta.Architecture.InputChannels);
        // The codewords are parsed and the architecture checked here, so that every inconsistency is an error naming
        // the file (building the network would check the same, naming only the architecture).
        CodingSchemeSet schemes;
        try { schemes = meta.SchemeSet; }
        catch (InvalidInputException e) { throw InvalidInputException.ForFile(path, $"{where}: {e.Message}"); }
        meta.Architecture.Validate(source, schemes);
        return meta;
    }

    /// <summary>Opens the model file at <paramref name="path"/> as a zip for reading; an <see cref="InvalidInputException"/> when it is a folder, missing, or not a zip. The caller disposes it.</summary>
    public static ZipArchive Open(string path)
    {
        InputFile.RequireRegular(path, "model file");
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException) { throw InvalidInputException.ForFile(path, "not a model file (not a zip archive)"); }
        try
        {
            // The central directory is read on first use; read it here, so that a damaged one is bad input at once
            // rather than an exception from whichever entry is looked up first.
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
                // Zip readers disagree on which of two entries of one name they return (.NET the first, others the
                // last): a file that means different things to different readers is refused.
                if (!names.Add(entry.FullName))
                    throw InvalidInputException.ForFile(path, $"damaged: its zip holds {entry.FullName} twice");
            return zip;
        }
        catch (InvalidDataException e)
        {
            zip.Dispose();
            throw InvalidInputException.ForFile(path, $"damaged: its zip directory cannot be read ({e.Message})");
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Room for what a safetensors header or a serialized optimizer adds to the tensors' bytes: names, shapes and
    /// offsets of a few thousand tensors take well under a MiB.
    /// </summary>
    public const long HeaderAllowance = 16L << 20;

    /// <summary>
    /// An entry's bytes, read whole, so that a damaged archive fails here as bad input, not mid-parse. At most
    /// <paramref name="maxBytes"/> are inflated: an entry that declares or inflates to more (a zip bomb) is refused
    /// before it can take the memory.
    /// </summary>
    public static Stream Entry(ZipArchive zip, string path, string name, long maxBytes)
    {
        var entry = zip.GetEntry(name) ?? throw InvalidInputException.ForFile(path, $"not a model file (no {name} inside)");
        InvalidInputException TooLarge(string size) =>
            InvalidInputException.ForFile(path, $"{name} inflates to {size}; it can need at most {InputFile.Bytes(maxBytes)}");
        if (entry.Length > maxBytes) throw TooLarge(InputFile.Bytes(entry.Length));
        byte[] bytes;
        try
        {
            using var stream = entry.Open();
            bytes = InputFile.ReadBounded(stream, maxBytes, () => TooLarge("more than " + InputFile.Bytes(maxBytes)));
        }
        catch (InvalidDataException e) { throw InvalidInputException.ForFile(path, $"damaged: {name} cannot be read ({e.Message})"); }
        return new MemoryStream(bytes, writable: false);
    }

    /// <summary>
    /// The most an entry of a model file described by <paramref name="meta"/> can need: meta.json is text, every
    /// other entry (weights, optimizer state, generator state) grows with the network, at most twice its parameters
    /// (SGD's momentum buffer beside the weights) in 4-byte floats, plus the headers.
    /// </summary>
    public static long EntryLimit(ModelMetadata meta, string name) =>
        name is MetaEntry or "metrics.jsonl" ? InputFile.LargeText : 2 * 4 * meta.Architecture.CountParameters().Total + HeaderAllowance;
}
