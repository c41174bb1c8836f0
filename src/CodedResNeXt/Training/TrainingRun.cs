using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;

namespace CodedResNeXt.Training;

/// <summary>One training run: its options, its data, the architecture they select, and its folder runs/NAME.</summary>
public sealed class TrainingRun
{
    public TrainingRun(TrainingOptions options, TrainingData data, string directory, Func<string, CodingScheme> schemes)
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
    public Func<string, CodingScheme> Schemes { get; }
    /// <summary>The architecture as trained: the control when asked, p_drop of coded blocks from the options.</summary>
    public ArchitectureSpec Architecture { get; }

    public string LastCheckpointPath => Path.Combine(Directory, "last.ckpt");
    public string BestCheckpointPath => Path.Combine(Directory, "best.ckpt");

    /// <summary>
    /// The network to train. The run's own generator draws its initial weights and, later, its dropSubNNs masks,
    /// so a run is reproducible even when other code in the process uses torch's global generator.
    /// </summary>
    public CodedResNeXtNetwork CreateNetwork(TorchSharp.torch.Generator generator) =>
        new(Architecture, Schemes, codingLoss: new CodingLoss(Options.LossExponent, Options.LossThreshold), generator: generator)
        {
            DropGenerator = generator,
        };

    private static ArchitectureSpec Configure(ArchitectureSpec architecture, TrainingOptions options, TrainingData data)
    {
        var train = data.Train;
        if (architecture.Classes != train.ClassCount || architecture.InputChannels != train.Channels
            || architecture.ImageSize != train.Height || train.Height != train.Width)
            throw new InvalidInputException(
                $"--arch: '{options.Architecture}' takes {architecture.InputChannels}x{architecture.ImageSize}x{architecture.ImageSize} images " +
                $"in {architecture.Classes} classes, but {train.Name} has {train.Channels}x{train.Height}x{train.Width} images in {train.ClassCount} classes");
        if (!(options.PDrop >= 0 && options.PDrop < 1))
            throw new InvalidInputException($"--p-drop: {options.PDrop} is not in [0, 1)");
        if (options.Control) return architecture.ToControl();
        return architecture with
        {
            Blocks = architecture.Blocks.Select(b => b.IsCoded ? b with { PDrop = options.PDrop } : b).ToList(),
        };
    }
}
