using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;

namespace CodedResNeXt.Training;

/// <summary>One training run: its options, its data, the architecture they select, and its folder runs/NAME.</summary>
public sealed class TrainingRun
{
    public TrainingRun(TrainingOptions options, TrainingData data, string directory, CodingSchemeSet schemes)
    {
        options.Validate();
        Options = options;
        Data = data;
        Directory = directory;
        Schemes = schemes;
        Architecture = Configure(ArchitectureFile.LoadPresetOrFile(options.Architecture, schemes), options, data);
    }

    public TrainingOptions Options { get; }
    public TrainingData Data { get; }
    public string Directory { get; }
    public CodingSchemeSet Schemes { get; }
    /// <summary>The architecture as trained: the control when asked, p_drop of coded blocks from the options.</summary>
    public ArchitectureSpec Architecture { get; }

    /// <summary>The global step at which --max-steps stopped the run, if it did.</summary>
    public long? StoppedAtStep { get; internal set; }

    public string LastCheckpointPath => Path.Combine(Directory, "last.ckpt");
    public string BestCheckpointPath => Path.Combine(Directory, "best.ckpt");

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
    /// Epochs already finished in this run's folder (0 when it holds no checkpoint). A folder holding a run made with
    /// other options is an error rather than something to overwrite or resume; only the thread count may differ.
    /// </summary>
    public int EpochsDone()
    {
        if (!File.Exists(LastCheckpointPath)) return 0;
        var info = Checkpoint.ReadInfo(LastCheckpointPath);
        string Key(TrainingOptions o) => System.Text.Json.JsonSerializer.Serialize(o with { Threads = 1, Workers = 0 }, ModelFiles.ModelFile.Json);
        if (Key(info.Options) != Key(Options))
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
        if (!(options.PDrop >= 0 && options.PDrop < 1))
            throw InvalidInputException.ForOption("PDrop", $"{options.PDrop} is not in [0, 1)");
        if (options.Control) return architecture.ToControl();
        return architecture with
        {
            Blocks = architecture.Blocks.Select(b => b.IsCoded ? b with { PDrop = options.PDrop } : b).ToList(),
        };
    }
}
