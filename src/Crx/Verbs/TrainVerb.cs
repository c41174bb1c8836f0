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
        var config = new Option<string?>(RunConfig.Flag) { Description = "Recipe file: a run's config.json (the training options by property); flags given here win" };
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
            p.GetValue(maxSteps), p.GetValue(device)!, p.GetValue(config), p.GetValue(printConfig))));
        return command;
    }

    /// <summary>What a `train` command line asks for: the training flags' values and the verb's own flags.</summary>
    private sealed record Arguments(TrainingFlags Flags, TrainingFlagValues Values, string? Out, bool Resume, string? InitFrom, int? MaxSteps,
        string Device, string? Config, bool PrintConfig);

    private static int Run(Arguments a)
    {
        // A recipe file in the record's form is the basis the flags apply to (a flag-keyed one was expanded into flags).
        var basis = a.Config is null ? null : RunConfig.ReadRecipe(a.Config);
        if (a.PrintConfig)
        {
            Console.Write(a.Flags.Recipe(a.Values, classNames: null, basis).ToJson());
            return 0;
        }
        if (a.Resume && a.Out is null) throw new InvalidInputException("--resume: say which run with --out runs/NAME");
        var setup = new TrainingSetup
        {
            Device = Crx.Cli.DeviceOption.Resolve(a.Device), RunDirectory = a.Out, Resume = a.Resume, InitFrom = a.InitFrom, MaxSteps = a.MaxSteps,
        };
        setup.Validate();
        // The run folder is this process's from before config.json is written until the run ends.
        var (recipe, splits, dir, owned) = a.Resume ? Resumed(a) : Started(a, basis);
        using var _ = owned;
        return Train(recipe, splits, dir, setup, continueWith: null);
    }

    /// <summary>
    /// Trains <paramref name="recipe"/> into <paramref name="dir"/> (the folder already taken), writing its config.json
    /// first; what `crx train` and the runs of an experiment file do.
    /// </summary>
    /// <param name="continueWith">the command that continues a stopped run (null: crx train --out DIR --resume)</param>
    public static int Train(TrainingRecipe recipe, DatasetSplits splits, string dir, TrainingSetup setup, string? continueWith)
    {
        setup = recipe.Apply(setup) with { RunDirectory = dir, InitFrom = setup.Resume ? null : recipe.InitFrom ?? setup.InitFrom };
        var options = recipe.Options;
        var data = TrainingData.From(splits, options.ExcludeClasses, options.FixedNormalization());
        // Checked before config.json is written: the architecture against the data, and the --init-from weights.
        var architecture = CodedResNeXtModel.CheckTraining(data, options, setup);
        Directory.CreateDirectory(dir);
        (recipe with
        {
            CoarseLabels = DatasetRegistry.Get(options.Dataset).UsesCoarseLabels(architecture.Classes),
            Threads = setup.Threads, Workers = setup.Workers == 0 ? null : setup.Workers, InitFrom = recipe.InitFrom ?? setup.InitFrom,
        }).Save(Path.Combine(dir, RunConfig.FileName));
        Console.WriteLine($"{(setup.Resume ? "resuming" : "training")} {DisplayText.Safe(architecture.Name)} on {options.Dataset} " +
                          $"({data.Train.Count} train / {data.Validation.Count} validation images) in {dir} on {setup.Device}");
        using var model = TrainingConsole.Train(data, options, setup, options.Control ? "control" : "coded", continueWith);
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
    /// A resumed run continues as it started: its options come from its checkpoint, its threads and workers from its
    /// config.json unless given; a flag that would change the options is refused (TrainingFlags.ForResume), except
    /// --epochs. Its folder is taken before anything is read.
    /// </summary>
    private static (TrainingRecipe Recipe, DatasetSplits Splits, string Directory, IDisposable Owned) Resumed(Arguments a)
    {
        var (flags, p, dir) = (a.Flags, a.Values, a.Out!);
        string last = Path.Combine(dir, "last.ckpt");
        if (!File.Exists(last))
            throw new InvalidInputException(Directory.Exists(dir)
                ? $"--resume: {dir} holds no run to continue (no last.ckpt); start one without --resume"
                : $"--resume: {dir} does not exist; give the --out of the run to continue");
        OutputPaths.RequireWritableFolder(dir, "--out");
        var owned = CodedResNeXtModel.LockRunFolder(dir);
        try
        {
            var info = CodedResNeXtModel.Inspect(last);
            if (!info.Resumable)
                throw new InvalidInputException($"--resume: {last} holds weights only (an imported model: no optimizer or generator state); start a new run from it with --init-from");
            var trained = RunConfig.Resumed(dir, info.Options);
            var recipe = flags.ForResume(p, trained, info.ClassNames, info.Epoch, dir);
            var where = flags.DatasetOptionsForResume(p, recipe, info.Architecture, dir);
            return (recipe, DatasetRegistry.Load(info.Options.Dataset, where), dir, owned);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>A new run: every flag checked before the data loads, its folder (given or the default) taken and empty of runs.</summary>
    private static (TrainingRecipe Recipe, DatasetSplits Splits, string Directory, IDisposable Owned) Started(Arguments a, TrainingRecipe? basis)
    {
        var (flags, p, dir) = (a.Flags, a.Values, a.Out);
        var unresolved = flags.Recipe(p, classNames: null, basis); // every flag but the class list is checked before the data loads
        if (dir is not null) OutputPaths.RequireWritableFolder(dir, "--out");
        var splits = DatasetRegistry.Load(unresolved.Options.Dataset, flags.DatasetOptions(p, unresolved));
        var recipe = flags.Recipe(p, splits.Train.ClassNames, basis);
        if (dir is null)
        {
            // The default folder is known only once the options are: check it now.
            var o = recipe.Options;
            dir = Path.Combine("runs", $"{o.Dataset}-{Path.GetFileNameWithoutExtension(o.Architecture)}{(o.Control ? "-control" : "")}");
            OutputPaths.RequireWritableFolder(dir, "--out");
        }
        return (recipe, splits, dir, Take(dir));
    }

    /// <summary>Takes a new run's folder: refused when it already holds a run.</summary>
    public static IDisposable Take(string dir)
    {
        var owned = CodedResNeXtModel.LockRunFolder(dir);
        if (File.Exists(Path.Combine(dir, "last.ckpt")))
        {
            owned.Dispose();
            throw new InvalidInputException($"--out: {dir} already holds a run; pass --resume to continue it or choose another --out");
        }
        return owned;
    }
}
