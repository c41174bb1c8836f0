using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Training;

namespace CodedResNeXt.Interop;

/// <summary>
/// Weights of the authors' released code in and out of our model files: a safetensors file in its state_dict layout
/// (<see cref="WeightsFormat.Safetensors"/>, what <c>crx export --format official</c> writes), or the checkpoint their
/// Lightning training saves, or any <c>torch.save</c> of such a state_dict (<see cref="WeightsFormat.Lightning"/>, read by
/// <see cref="TorchCheckpoint"/>); the layout is <see cref="OfficialLayout"/>, for the presets and any architecture file.
/// An imported model is a checkpoint that eval, predict, extract and analyze read like any other; it holds no optimizer
/// or generator state (their optimizer's state is laid out differently), so it starts new runs
/// (<c>crx train --init-from</c>) but cannot be resumed.
/// </summary>
internal static class OfficialModelFile
{
    /// <summary>
    /// The normalization timm applies when a model names none, as the authors' ImageNet model does (its default_cfg
    /// has no mean or std): IMAGENET_DEFAULT_MEAN and IMAGENET_DEFAULT_STD.
    /// </summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>
    /// Reads <paramref name="from"/> for <paramref name="architecture"/> (a preset or an architecture file) and writes the
    /// checkpoint <paramref name="outPath"/>. The CIFAR presets get the CIFAR class names and the authors' CIFAR
    /// normalization; imagenet gets <see cref="ImageNet"/> and class names "0".."999" (the index of the class folder in
    /// sorted order, as their loader numbers them); any other architecture class names "0".."K-1" and no normalization
    /// beyond scaling to 0..1.
    /// </summary>
    public static void Import(string from, string architecture, string outPath, WeightsFormat format = WeightsFormat.Safetensors)
    {
        var spec = Architecture(architecture);
        RefuseOverwrite(outPath);
        var (network, model, options) = Read(from, spec, architecture, format);
        using (network)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            // Taken exclusively: of two imports to one --out, one writes it and the other is refused.
            Checkpoint.SaveWeightsOnly(outPath, model, network, options, TrainingState.NothingTrained(network.CodedBlocks.Count),
                () => AlreadyExists(outPath));
        }
    }

    /// <summary>
    /// Reads <paramref name="from"/> for <paramref name="architecture"/> into a network in memory (eval mode), with the
    /// metadata and recipe <see cref="Import"/> writes beside it; the caller owns the network.
    /// </summary>
    /// <param name="from">the authors' weights file</param>
    /// <param name="architecture">a preset or an architecture file</param>
    /// <param name="format">how the weights are stored</param>
    public static (CodedResNeXtNetwork Network, ModelMetadata Metadata, TrainingOptions Options) Read(string from, string architecture,
        WeightsFormat format = WeightsFormat.Safetensors) => Read(from, Architecture(architecture), architecture, format);

    private static ArchitectureSpec Architecture(string architecture)
    {
        try { return ArchitectureFile.LoadPresetOrFile(architecture, CodingSchemeSet.BuiltInsAndFiles); }
        catch (InvalidInputException e) { throw InvalidInputException.ForOption("Architecture", e.Message); }
    }

    private static (CodedResNeXtNetwork, ModelMetadata, TrainingOptions) Read(string from, ArchitectureSpec spec, string architecture, WeightsFormat format)
    {
        if (Directory.Exists(from)) throw InvalidInputException.ForFile(from, "is a folder, not a weights file");
        if (!File.Exists(from)) throw InvalidInputException.ForFile(from, "does not exist");
        InputFile.RequireRegular(from, "weights file");
        if (format == WeightsFormat.Safetensors && IsZip(from))
            throw InvalidInputException.ForFile(from, TorchCheckpoint.IsTorchZip(from)
                ? "a PyTorch/Lightning checkpoint (a torch.save zip), not safetensors; import it with --from lightning"
                : "a zip archive (a checkpoint of ours?), not safetensors");

        var tensors = format == WeightsFormat.Lightning ? TorchCheckpoint.ReadStateDict(from) : SafeTensors.Load(from);
        var network = new CodedResNeXtNetwork(spec, CodingSchemeSet.BuiltInsAndFiles);
        try
        {
            OfficialLayout.Import(network, tensors, from);
            // What loading the checkpoint would refuse is refused now, not by every later command.
            FiniteWeights.Require(network, from);
            network.eval();
            // The authors' CIFAR networks come with their dataset's class names and published normalization; any
            // other is a network of image folders (ImageNet's with timm's constants), its classes numbered.
            var trainedOn = DatasetRegistry.WithPublishedRecipeFor(architecture);
            var dataset = trainedOn ?? DatasetRegistry.Get(DatasetRegistry.FolderName);
            var names = trainedOn?.ClassNames is { } known && known.Count == spec.Classes
                ? known : Enumerable.Range(0, spec.Classes).Select(k => k.ToString()).ToList();
            var normalization = trainedOn?.PublishedNormalization
                ?? (architecture == "imagenet" ? ImageNet : Normalization.Unit(spec.InputChannels));
            var options = dataset.RecipeFor(spec.ImageSize) with { Architecture = architecture };
            var model = ModelMetadata.Of(Checkpoint.Kind, network, names, normalization, dataset.Name, [], InputTransform.For(spec, normalization, options.Folder));
            return (network, model, options with { Epochs = 0 });
        }
        catch
        {
            network.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Writes the network of the checkpoint <paramref name="checkpoint"/> as a safetensors file in the released code's layout.</summary>
    public static void Export(string checkpoint, string outPath)
    {
        if (ModelFile.ReadMetadata(checkpoint).Kind == BinaryClassifierFile.Kind)
            throw InvalidInputException.ForFile(checkpoint, "an extracted classifier has no counterpart in the released code; export the checkpoint it came from");
        RefuseOverwrite(outPath);
        var (network, _) = ModelFile.Load(checkpoint);
        using (network) Export(network, outPath);
    }

    /// <summary>Writes a network in memory as a safetensors file in the released code's layout; an existing file is refused.</summary>
    public static void Export(CodedResNeXtNetwork network, string outPath)
    {
        InvalidInputException Exists() => InvalidInputException.ForFile(outPath, "already exists; choose another path or delete it");
        if (File.Exists(outPath) || Directory.Exists(outPath)) throw Exists();
        var tensors = OfficialLayout.Export(network);
        try
        {
            OutputFile.WriteNew(outPath, stream => SafeTensors.Save(stream, tensors), Exists);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static bool IsZip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 'P' && file.ReadByte() == 'K';
    }

    // Checked first, so that no work is done for nothing, and again atomically when the file is given its name: of two
    // runs writing one path, one writes it and the other is refused.
    private static void RefuseOverwrite(string outPath)
    {
        if (File.Exists(outPath) || Directory.Exists(outPath)) throw AlreadyExists(outPath);
    }

    private static InvalidInputException AlreadyExists(string outPath) =>
        InvalidInputException.ForOption("Out", $"{outPath} already exists; choose another path or delete it");
}
