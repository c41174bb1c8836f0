using CodedResNeXt;
using System.CommandLine;
using CodedResNeXt.Data;
using CodedResNeXt.Training;
using Crx.Cli;
using Crx.Display;

namespace Crx.Verbs;

/// <summary>`crx train`: trains a Coded ResNeXt (or its control) and writes runs/NAME.</summary>
internal static class TrainVerb
{
    public static Command Create()
    {
        var flags = new TrainingFlags();
        var output = new Option<string?>("--out") { Description = "Run folder: checkpoints, metrics.jsonl, TensorBoard events [runs/<dataset>-<arch>[-control]]" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this checkpoint's weights (same architecture); optimizer, schedule and epochs start afresh" };
        var device = DeviceOption.Create();
        var config = new Option<string?>(RunConfig.Flag) { Description = "Recipe file: JSON keyed by these flags without -- (a run's config.json is one); flags given here win" };
        var printConfig = new Option<bool>(RunConfig.PrintFlag) { Description = "Print the recipe these flags give (the dataset's defaults for the rest) as a --config file, and exit" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Stop after this many optimizer steps in all (counting those before --resume), writing last.ckpt; --resume continues exactly" };
        var command = new Command("train", "Train a Coded ResNeXt (or with --control the plain ResNeXt) on a dataset.");
        flags.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(initFrom);
        command.Options.Add(maxSteps);
        command.Options.Add(device);
        command.Options.Add(config);
        command.Options.Add(printConfig);
        command.SetAction(p => Run(new Arguments(flags, flags.Read(p), p.GetValue(output), p.GetValue(resume), p.GetValue(initFrom),
            p.GetValue(maxSteps), p.GetValue(device)!, p.GetValue(printConfig))));
        return command;
    }

    /// <summary>What a `train` command line asks for: the training flags' values and the verb's own flags.</summary>
    private sealed record Arguments(TrainingFlags Flags, TrainingFlagValues Values, string? Out, bool Resume, string? InitFrom, int? MaxSteps,
        string Device, bool PrintConfig);

    private static int Run(Arguments a)
    {
        var (flags, p) = (a.Flags, a.Values);
        if (a.PrintConfig)
        {
            var defaults = flags.Options(p, classNames: null);
            Console.Write(RunConfig.ToJson(RunConfig.Of(defaults, p.GetValue(flags.DataDir), p.GetValue(flags.CoarseLabels), p.GetValue(flags.ExcludeClasses))));
            return 0;
        }
        var onDevice = Crx.Cli.DeviceOption.Resolve(a.Device);
        // The run folder is this process's from before config.json is written until the run ends.
        var (options, splits, dir, owned) = a.Resume ? Resumed(a) : Started(a);
        using var _ = owned;
        if (a.MaxSteps is { } steps)
            options = options with { MaxSteps = steps >= 1 ? steps : throw new CodedResNeXt.InvalidInputException($"--max-steps: {steps} must be at least 1") };
        var data = TrainingData.From(splits, options.ExcludeClasses, options.FixedNormalization());
        // Checked before config.json is written: the architecture against the data, and the --init-from weights.
        var architecture = CodedResNeXtModel.CheckTraining(data, a.Resume ? options with { InitFrom = null } : options);
        Directory.CreateDirectory(dir);
        Crx.Cli.OutputPaths.WriteText(Path.Combine(dir, RunConfig.FileName), RunConfig.ToJson(RunConfig.Of(options, p.GetValue(flags.DataDir),
            DatasetRegistry.Get(options.Dataset).UsesCoarseLabels(architecture.Classes))));
        Console.WriteLine($"{(a.Resume ? "resuming" : "training")} {DisplayText.Safe(architecture.Name)} on {options.Dataset} " +
                          $"({data.Train.Count} train / {data.Validation.Count} validation images) in {dir} on {onDevice}");
        using var model = TrainingConsole.Train(data, options, new TrainingSetup { RunDirectory = dir, Resume = a.Resume, Device = onDevice },
            options.Control ? "control" : "coded");
        var history = model.History;
        string last = Path.Combine(dir, "last.ckpt"), best = Path.Combine(dir, "best.ckpt");
        if (model.StoppedAtStep is { } stopped)
            Console.WriteLine($"stopped after step {stopped} (--max-steps); {last} holds it (continue with --resume)");
        else if (history.Count == 0)
            Console.WriteLine($"nothing to do: the run has finished its {options.Epochs} epochs; give a larger --epochs to extend it");
        else
            Console.WriteLine($"done: val top-1 {history[^1].ValidationTop1:P2}; checkpoints {last}, {best}");
        return 0;
    }

    /// <summary>
    /// A resumed run continues as it started: its options come from its checkpoint; a flag that would change them is
    /// refused (TrainingFlags.ForResume), except --epochs and --threads. Its folder is taken before anything is read.
    /// </summary>
    private static (TrainingOptions Options, DatasetSplits Splits, string Directory, RunFolderLock Owned) Resumed(Arguments a)
    {
        var (flags, p, dir) = (a.Flags, a.Values, a.Out);
        if (dir is null) throw new CodedResNeXt.InvalidInputException("--resume: say which run with --out runs/NAME");
        if (a.InitFrom is not null) throw new CodedResNeXt.InvalidInputException("--init-from: a resumed run continues from its own checkpoint; leave --init-from out");
        string last = Path.Combine(dir, "last.ckpt");
        if (!File.Exists(last))
            throw new CodedResNeXt.InvalidInputException(Directory.Exists(dir)
                ? $"--resume: {dir} holds no run to continue (no last.ckpt); start one without --resume"
                : $"--resume: {dir} does not exist; give the --out of the run to continue");
        OutputPaths.RequireWritableFolder(dir, "--out");
        var owned = RunFolderLock.Acquire(dir);
        try
        {
            var info = CodedResNeXtModel.Inspect(last);
            if (!info.Resumable)
                throw new CodedResNeXt.InvalidInputException($"--resume: {last} holds weights only (an imported model: no optimizer or generator state); start a new run from it with --init-from");
            var options = flags.ForResume(p, info.Options, info.ClassNames, info.Epoch, dir);
            options = options with { Workers = p.GetValue(flags.Workers) ?? options.Workers };
            var where = flags.DatasetOptionsForResume(p, info.Architecture, info.Options.Dataset, dir);
            if (options.Folder is { } geometry) where = where with { ImageSize = geometry.Crop, ResizeSize = geometry.Resize };
            return (options, DatasetRegistry.Load(info.Options.Dataset, where), dir, owned);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>A new run: every flag checked before the data loads, its folder (given or the default) taken and empty of runs.</summary>
    private static (TrainingOptions Options, DatasetSplits Splits, string Directory, RunFolderLock Owned) Started(Arguments a)
    {
        var (flags, p, dir) = (a.Flags, a.Values, a.Out);
        flags.Options(p, classNames: null); // every flag but the class list is checked before the data loads
        if (dir is not null) OutputPaths.RequireWritableFolder(dir, "--out");
        var splits = DatasetRegistry.Load(p.GetValue(flags.Dataset)!, flags.DatasetOptions(p));
        var options = flags.Options(p, splits.Train.ClassNames) with { InitFrom = a.InitFrom };
        if (dir is null)
        {
            // The default folder is known only once the options are: check it now.
            dir = Path.Combine("runs", $"{options.Dataset}-{Path.GetFileNameWithoutExtension(options.Architecture)}{(options.Control ? "-control" : "")}");
            OutputPaths.RequireWritableFolder(dir, "--out");
        }
        var owned = RunFolderLock.Acquire(dir);
        if (File.Exists(Path.Combine(dir, "last.ckpt")))
        {
            owned.Dispose();
            throw new CodedResNeXt.InvalidInputException($"--out: {dir} already holds a run; pass --resume to continue it or choose another --out");
        }
        return (options, splits, dir, owned);
    }
}
