using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.Data;

namespace CodedResNeXt.Training;

/// <summary>
/// One training run: its options, its data, the architecture they select, and its folder (optional: a run without one
/// trains in memory, writing no checkpoint, log or TensorBoard events, and cannot be resumed).
/// </summary>
internal sealed class TrainingRun
{
    /// <summary>A run of the architecture <paramref name="options"/> names (a preset or an architecture file).</summary>
    /// <param name="options">the hyperparameters (<see cref="TrainingOptions.For"/> gives the paper's)</param>
    /// <param name="data">the images to train and validate on</param>
    /// <param name="directory">the run folder (checkpoints, metrics.jsonl, TensorBoard events), or null to train in memory</param>
    /// <param name="schemes">the coding schemes the architecture may name</param>
    public TrainingRun(TrainingOptions options, TrainingData data, string? directory, CodingSchemeSet schemes)
        : this(options, data, directory, schemes, ArchitectureFile.LoadPresetOrFile(options.Architecture, schemes))
    {
    }

    /// <summary>
    /// A run of an architecture built in code (<paramref name="architecture"/>, validated here); the options'
    /// <see cref="TrainingOptions.Architecture"/> becomes its name.
    /// </summary>
    /// <param name="architecture">the network to train, before the options' control and p_drop settings apply</param>
    /// <param name="options">the hyperparameters (<see cref="TrainingOptions.For"/> gives the paper's)</param>
    /// <param name="data">the images to train and validate on</param>
    /// <param name="directory">the run folder, or null to train in memory</param>
    /// <param name="schemes">the coding schemes the architecture names (null: the built-in ones)</param>
    public TrainingRun(ArchitectureSpec architecture, TrainingOptions options, TrainingData data, string? directory = null, CodingSchemeSet? schemes = null)
        : this(options with { Architecture = architecture.Name }, data, directory, schemes ?? CodingSchemeSet.BuiltInsAndFiles, Validated(architecture, schemes))
    {
    }

    private TrainingRun(TrainingOptions options, TrainingData data, string? directory, CodingSchemeSet schemes, ArchitectureSpec architecture, bool validated = false)
    {
        if (!validated) options.Validate();
        Options = options;
        Data = data;
        Directory = directory;
        Schemes = schemes;
        Architecture = validated ? architecture : Configure(architecture, options, data);
    }

    /// <summary>The run's hyperparameters.</summary>
    public TrainingOptions Options { get; }
    /// <summary>The images the run trains and validates on.</summary>
    public TrainingData Data { get; }
    /// <summary>The run folder, or null for a run in memory.</summary>
    public string? Directory { get; }
    /// <summary>The coding schemes the architecture's blocks name.</summary>
    public CodingSchemeSet Schemes { get; }
    /// <summary>The architecture as trained: the control when asked, p_drop of coded blocks from the options.</summary>
    public ArchitectureSpec Architecture { get; }

    /// <summary>Where the network trains; the CPU unless the caller says otherwise.</summary>
    public TorchSharp.torch.Device Device { get; init; } = TorchSharp.torch.CPU;

    /// <summary>Threads decoding and augmenting batches ahead of the training step; 0 means one per core (<see cref="TrainingSetup.Workers"/>).</summary>
    public int Workers { get; init; }
    /// <summary>Stop after this many optimizer steps in all, writing the checkpoint; null runs every epoch (<see cref="TrainingSetup.MaxSteps"/>).</summary>
    public int? MaxSteps { get; init; }
    /// <summary>A checkpoint whose weights a new run starts from; null draws fresh weights (<see cref="TrainingSetup.InitFrom"/>).</summary>
    public string? InitFrom { get; init; }

    /// <summary>This run carried out as <paramref name="setup"/> says: its workers, step limit and initial weights.</summary>
    internal TrainingRun With(TrainingSetup setup) => new(Options, Data, Directory, Schemes, Architecture, validated: true)
    {
        Device = Device, Workers = setup.Workers, MaxSteps = setup.MaxSteps, InitFrom = setup.InitFrom,
    };

    /// <summary>The checkpoint of the last finished epoch (runs/NAME/last.ckpt).</summary>
    public string LastCheckpointPath => Path.Combine(RequireDirectory(), "last.ckpt");
    /// <summary>The checkpoint of the epoch with the best validation top-1 (runs/NAME/best.ckpt).</summary>
    public string BestCheckpointPath => Path.Combine(RequireDirectory(), "best.ckpt");

    private string RequireDirectory() => Directory ?? throw new InvalidOperationException("this run trains in memory and has no folder");

    private static ArchitectureSpec Validated(ArchitectureSpec architecture, CodingSchemeSet? schemes)
    {
        architecture.Validate(architecture.Name, schemes ?? CodingSchemeSet.BuiltInsAndFiles);
        return architecture;
    }

    /// <summary>
    /// The network to train. The run's own generator draws its initial weights and, later, its dropSubNNs masks,
    /// so a run is reproducible even when other code in the process uses torch's global generator.
    /// </summary>
    public CodedResNeXtNetwork CreateNetwork(TorchSharp.torch.Generator generator) =>
        new(Architecture, Schemes, generator: generator)
        {
            DropGenerator = generator,
        };

    /// <summary>
    /// How images become the trained network's input, as its validation set fitted them (a folder's sizes as loaded,
    /// else the options'); stored in every model file the run writes.
    /// </summary>
    public InputTransform InputTransform => InputTransform.For(Architecture, Data.Normalization, Data.Validation.Files?.Geometry ?? Options.Folder);

    /// <summary>
    /// Whether the run's folder holds a checkpoint to continue from: finished epochs, or steps of an epoch that a
    /// stop (max steps, a cancellation) saved mid-way. Call <see cref="EpochsDone"/> first to check it is this run's.
    /// </summary>
    public bool HasCheckpoint => Directory is not null && File.Exists(LastCheckpointPath);

    /// <summary>
    /// Epochs already finished in this run's folder (0 when it holds no checkpoint). A folder holding a run made with
    /// other options is an error rather than something to overwrite or resume; only what <see cref="TrainingOptions.IsSameRunAs"/> allows may differ.
    /// </summary>
    public int EpochsDone()
    {
        if (Directory is null || !File.Exists(LastCheckpointPath)) return 0;
        var info = Checkpoint.ReadInfo(LastCheckpointPath);
        if (!info.Options.IsSameRunAs(Options))
            throw new InvalidInputException($"{Directory} holds a run with other options; choose another folder or delete it");
        return info.State.Epoch;
    }

    private static ArchitectureSpec Configure(ArchitectureSpec architecture, TrainingOptions options, TrainingData data)
    {
        var train = data.Train;
        if (architecture.Classes != train.ClassCount || architecture.InputChannels != train.Channels
            || architecture.ImageSize != train.Height || train.Height != train.Width)
            throw InvalidInputException.ForOption(nameof(TrainingOptions.Architecture),
                $"'{options.Architecture}' takes {architecture.InputChannels}x{architecture.ImageSize}x{architecture.ImageSize} images " +
                $"in {architecture.Classes} classes, but {train.Name} has {train.Channels}x{train.Height}x{train.Width} images in {train.ClassCount} classes");
        // Files come in every size: only a random-resized crop gives the training batches one shape.
        if (train.IsStreamed && options.Augmentation.ResizedCrop <= 0)
            throw InvalidInputException.ForOption(nameof(TrainingOptions.Augmentation),
                $"{train.Name} is read from image files of any size, so the augmentation needs a random-resized crop (ResizedCrop, e.g. {train.Height}); " +
                "start from TrainingOptions.For(\"folder\", size).Augmentation");
        if (options.Control) return architecture.ToControl();
        return architecture with
        {
            Blocks = architecture.Blocks.Select(b => b.IsCoded ? b with { PDrop = options.PDrop } : b).ToList(),
        };
    }
}
