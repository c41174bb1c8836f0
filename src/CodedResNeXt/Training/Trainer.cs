using System.Diagnostics;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>
/// Trains a (Coded) ResNeXt (docs/method.md#training-recipe): SGD with Nesterov momentum and weight decay, cosine schedule
/// with optional warm-up, loss = cross-entropy + mu * sum of coding losses (<see cref="CodingObjective"/>). After every epoch it evaluates
/// (top-1 and every early decoder), logs, and writes last.ckpt (and best.ckpt when top-1 improved)
/// atomically, so a stopped run loses at most the epoch under way and resumes exactly.
/// </summary>
internal sealed class Trainer
{
    private readonly TrainingRun _run;
    private EvaluationResult? _lastEvaluation;

    /// <summary>A trainer for <paramref name="run"/>.</summary>
    public Trainer(TrainingRun run) => _run = run;

    /// <summary>
    /// Trains until the last epoch, until <see cref="TrainingRun.MaxSteps"/>, or until <paramref name="cancel"/> fires
    /// (then returns what is done). Process-wide settings (libtorch's thread count, glibc's heap policy) are the caller's:
    /// see <see cref="Runtime.ProcessSettings"/>.
    /// </summary>
    /// <param name="resume">continue from the run folder's last.ckpt (it must exist)</param>
    /// <param name="progress">told every few steps where the epoch stands</param>
    /// <param name="epochDone">called after each finished, validated epoch</param>
    /// <param name="cancel">stops after the step in flight; with a run folder, last.ckpt then holds that step (resumable exactly)</param>
    /// <returns>the epochs trained, where the run stopped, and the network as trained (the caller disposes it)</returns>
    public TrainingResult Run(bool resume, IProgress<TrainingProgress>? progress = null,
        Action<EpochMetrics>? epochDone = null, CancellationToken cancel = default)
    {
        var options = _run.Options;
        if (resume && _run.Directory is null) throw new InvalidOperationException("a run in memory has no checkpoint to resume from");
        if (_run.Directory is not null) Directory.CreateDirectory(_run.Directory);
        // One process per run folder (re-entrant: the CLI takes it before it writes config.json).
        using var owned = _run.Directory is null ? null : RunFolderLock.Acquire(_run.Directory);

        using var generator = new Generator((ulong)options.Seed);
        var network = _run.CreateNetwork(generator);
        try
        {
            _lastEvaluation = null;
            var (history, stoppedAt) = Train(network, generator, resume, progress, epochDone, cancel);
            network.eval();
            // The generator dies with this call; the network outlives it and draws no more masks in eval mode.
            network.DropGenerator = null;
            return new TrainingResult(network, history, stoppedAt, stoppedAt is not null && cancel.IsCancellationRequested) { LastEvaluation = _lastEvaluation };
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private (List<EpochMetrics> History, long? StoppedAt) Train(CodedResNeXtNetwork network, Generator generator, bool resume,
        IProgress<TrainingProgress>? progress, Action<EpochMetrics>? epochDone, CancellationToken cancel)
    {
        var options = _run.Options;
        // Weights are drawn on the CPU by the run's generator, then moved: a seed gives the same run on every device.
        network.to(_run.Device);
        Autocast.RequireSupport(options.Precision, _run.Device);
        if (!resume && _run.InitFrom is not null) InitialWeights.Load(network, _run.InitFrom);
        var loader = new BatchLoader(_run.Data.Train, AugmentationPipeline.Training(options.Augmentation, _run.Data.Normalization),
            new LoaderOptions { BatchSize = options.BatchSize, Shuffle = true, DropLast = true, Seed = options.Seed, Threads = _run.Workers });
        int stepsPerEpoch = StepsPerEpoch(loader);
        var validation = BatchLoader.ForEvaluation(_run.Data.Validation, _run.Data.Normalization, Math.Max(options.BatchSize, 256), _run.Workers);

        using var optimizer = optim.SGD(network.parameters(), options.LearningRate, options.Momentum,
            weight_decay: options.WeightDecay, nesterov: options.Nesterov);
        var schedule = LearningRateSchedule.Create(optimizer, options, stepsPerEpoch);

        int firstEpoch = 1, firstStep = 0;
        double bestTop1 = double.NegativeInfinity;
        var log = _run.Directory is null ? null : new MetricsLog(_run.Directory);
        if (resume)
        {
            var state = Resume(network, optimizer, schedule, generator, stepsPerEpoch);
            firstEpoch = state.Epoch + 1;
            firstStep = state.StepInEpoch;
            bestTop1 = state.BestTop1;
            // The log may have lost its last line to a kill mid-write, or been emptied: rebuild it from what the
            // checkpoint says is done (its copy of the log, or at least its own last epoch).
            log?.Repair(state.Epoch, Checkpoint.ReadLog(_run.LastCheckpointPath),
                state.StepInEpoch == 0 && state.Metrics.Epoch == state.Epoch ? state.Metrics : null);
        }
        else log?.Repair(0, [], null); // a new run: no line of an earlier attempt that never reached a checkpoint

        var history = new List<EpochMetrics>();
        var codedIndices = network.CodedBlocks.Select(b => b.BlockIndex).ToList();
        long maxSteps = _run.MaxSteps ?? long.MaxValue;
        for (int epoch = firstEpoch; epoch <= options.Epochs; epoch++)
        {
            long before = (long)(epoch - 1) * stepsPerEpoch;
            if (before + firstStep >= maxSteps || cancel.IsCancellationRequested) return (history, before + firstStep);
            int stopAt = (int)Math.Min(stepsPerEpoch, maxSteps - before);
            var (train, reached) = TrainEpoch(network, optimizer, schedule, loader, epoch, firstStep, stopAt, progress, cancel);
            if (reached < stepsPerEpoch)
            {
                // Stopped mid-epoch, by --max-steps or by the token after the step in flight: the position inside the
                // epoch is the whole state the seeded loader needs to serve the rest of it, so save it and resume
                // exactly from there. No evaluation, which belongs to whole epochs. A token that fired before this
                // call took a single step leaves the checkpoint as it was.
                if (reached > firstStep)
                    SaveCheckpoint(network, optimizer, generator, new TrainingState(epoch - 1, bestTop1, train, reached), log?.Epochs);
                return (history, before + reached);
            }
            firstStep = 0;
            var metrics = FinishEpoch(network, optimizer, generator, validation, train, ref bestTop1, log, codedIndices);
            history.Add(metrics);
            epochDone?.Invoke(metrics);
        }
        return (history, null);
    }

    /// <summary>
    /// Writes the run's last.ckpt: the network, its metadata, where training stands, optimizer and generator. A run in
    /// memory has no folder and writes nothing (false).
    /// </summary>
    private bool SaveCheckpoint(CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator, TrainingState state,
        IReadOnlyList<EpochMetrics>? log)
    {
        if (_run.Directory is null) return false;
        var data = _run.Data;
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, data.ClassNames, data.Normalization, _run.Options.Dataset, data.ExcludedClasses, _run.InputTransform);
        Checkpoint.Save(_run.LastCheckpointPath, meta, new TrainingRecord(_run.Options, state), network, optimizer, generator, log);
        return true;
    }

    /// <summary>Optimizer steps per epoch; a batch size or accumulation the training set cannot fill is bad input.</summary>
    private int StepsPerEpoch(BatchLoader loader)
    {
        var options = _run.Options;
        if (loader.BatchCount == 0)
            throw InvalidInputException.ForOption("BatchSize", $"{options.BatchSize} is larger than the training set ({_run.Data.Train.Count} images)");
        if (options.Accumulate < 1)
            throw InvalidInputException.ForOption("Accumulate", $"must be at least 1, got {options.Accumulate}");
        // The schedule counts optimizer steps; micro-batches left over at an epoch's end are not used.
        int steps = loader.BatchCount / options.Accumulate;
        return steps > 0 ? steps
            : throw InvalidInputException.ForOption("Accumulate", $"{options.Accumulate} micro-batches of {options.BatchSize} exceed the training set ({_run.Data.Train.Count} images)");
    }

    /// <summary>Puts weights, optimizer, schedule and generator back where last.ckpt left them.</summary>
    private TrainingState Resume(CodedResNeXtNetwork network, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler schedule,
        Generator generator, int stepsPerEpoch)
    {
        var saved = Checkpoint.ReadInfo(_run.LastCheckpointPath).State;
        // TorchSharp's cosine is recursive in the current rate, so replay it from the start, as the uninterrupted run
        // stepped it, before the optimizer state comes back. The optimizer state holds the rate the run was saved
        // with; the replayed one wins, so a run extended with more epochs continues on the cosine over its new total
        // (docs/cli.md: what may change on --resume).
        for (long s = 0; s < (long)saved.Epoch * stepsPerEpoch + saved.StepInEpoch; s++) schedule.step();
        var replayed = optimizer.ParamGroups.Select(g => g.LearningRate).ToList();
        var state = Checkpoint.Restore(_run.LastCheckpointPath, network, optimizer, generator);
        foreach (var (group, rate) in optimizer.ParamGroups.Zip(replayed)) group.LearningRate = rate;
        return state;
    }

    /// <summary>After a whole epoch: evaluate, log, and write last.ckpt (and best.ckpt when top-1 improved).</summary>
    private EpochMetrics FinishEpoch(CodedResNeXtNetwork network, optim.Optimizer optimizer, Generator generator, BatchLoader validation,
        EpochMetrics train, ref double bestTop1, MetricsLog? log, IReadOnlyList<int> codedIndices)
    {
        var eval = _lastEvaluation = EvaluationResult.Measure(network, validation, _run.Data.Validation.ClassCount);
        var metrics = train with
        {
            ValidationTop1 = eval.Classification.Top1, ValidationTop5 = eval.Classification.Top5, EarlyDecoderAccuracy = eval.EarlyDecoding.Accuracy,
        };
        log?.Append(metrics, codedIndices);
        bool best = metrics.ValidationTop1 > bestTop1;
        bestTop1 = Math.Max(bestTop1, metrics.ValidationTop1);
        // Finite losses can still end in non-finite weights (the last step of the epoch); never let those replace a
        // good checkpoint.
        Divergence.CheckWeights(network, metrics.Epoch, _run.Options);
        if (SaveCheckpoint(network, optimizer, generator, new TrainingState(metrics.Epoch, bestTop1, metrics), log?.Epochs) && best)
            OutputFile.Copy(_run.LastCheckpointPath, _run.BestCheckpointPath);
        return metrics;
    }

    /// <summary>
    /// Trains steps firstStep+1..stopAt of an epoch, or fewer when <paramref name="cancel"/> fires: it is read before each
    /// step, so the step in flight always finishes. Returns the figures of the steps taken and the step reached.
    /// </summary>
    private (EpochMetrics Metrics, int Reached) TrainEpoch(CodedResNeXtNetwork network, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler schedule,
        BatchLoader loader, int epoch, int firstStep, int stopAt, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var options = _run.Options;
        network.train();
        int accumulate = options.Accumulate, steps = loader.BatchCount / accumulate;
        var objective = CodingObjective.From(options);
        using var running = new RunningMetrics(network.CodedBlocks.Count, network.Device);
        double lr = optimizer.ParamGroups.First().LearningRate;
        var clock = Stopwatch.StartNew();
        using var batches = loader.Epoch(epoch, firstBatch: firstStep * accumulate).GetEnumerator();
        int reached = firstStep;
        for (int step = firstStep + 1; step <= stopAt && !cancel.IsCancellationRequested; step++)
        {
            optimizer.zero_grad();
            for (int micro = 0; micro < accumulate; micro++)
            {
                if (!batches.MoveNext()) throw new InvalidOperationException($"the loader ran out of batches at step {step} of {steps}");
                using var scope = NewDisposeScope();
                var (images, labels) = batches.Current.ToTensors(network.Device);
                TrainingStep.Backward(network, objective, images, labels, accumulate, running, options.Precision);
            }
            optimizer.step();
            lr = optimizer.ParamGroups.First().LearningRate; // the rate this step used
            schedule.step();
            reached = step;

            // The figures are read back only here (one host sync), so a non-finite loss is caught within five steps,
            // always before anything is saved: the epoch's end and a --max-steps stop read too.
            if (step % 5 == 0 || step == steps || step == stopAt)
                Report(running, epoch, step, steps, lr, clock, progress);
        }
        // A cancelled epoch is read once more before it is saved (the same check), and told where it stopped.
        if (reached < stopAt && reached > firstStep && reached % 5 != 0) Report(running, epoch, reached, steps, lr, clock, progress);
        double seconds = clock.Elapsed.TotalSeconds;
        var figures = running.Read();
        return (new EpochMetrics(epoch, figures.Loss, figures.CrossEntropy, figures.CodingLoss, figures.Accuracy,
            figures.CodingLossPerBlock, double.NaN, [], lr, figures.Seen / seconds, seconds), reached);
    }

    private void Report(RunningMetrics running, int epoch, int step, int steps, double lr, Stopwatch clock, IProgress<TrainingProgress>? progress)
    {
        var figures = running.Read();
        if (!figures.AllFinite) Divergence.Fail(epoch, step, steps, (float)figures.Loss, lr, _run.Options);
        progress?.Report(new TrainingProgress(epoch, _run.Options.Epochs, step, steps, figures.Loss, figures.CodingLoss,
            figures.Accuracy, figures.Seen / clock.Elapsed.TotalSeconds, lr));
    }
}
