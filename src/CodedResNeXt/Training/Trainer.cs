using System.Diagnostics;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>
/// Trains a (Coded) ResNeXt (SPEC section 7): SGD with Nesterov momentum and weight decay, cosine schedule
/// with optional warm-up, loss = cross-entropy + mu * sum of coding losses (<see cref="CodingObjective"/>). After every epoch it evaluates
/// (top-1 and every early decoder), logs, and writes last.ckpt (and best.ckpt when top-1 improved)
/// atomically, so a stopped run loses at most the epoch under way and resumes exactly.
/// </summary>
public sealed class Trainer
{
    private readonly TrainingRun _run;

    public Trainer(TrainingRun run) => _run = run;

    /// <summary>Trains until the last epoch, or until <paramref name="cancel"/> fires (then returns what is done).</summary>
    /// <param name="resume">continue from runs/NAME/last.ckpt (it must exist)</param>
    public IReadOnlyList<EpochMetrics> Run(bool resume, IProgress<TrainingProgress>? progress = null,
        Action<EpochMetrics>? epochDone = null, CancellationToken cancel = default)
    {
        var options = _run.Options;
        torch.set_num_threads(options.Threads);
        Directory.CreateDirectory(_run.Directory);

        using var generator = new Generator((ulong)options.Seed);
        using var network = _run.CreateNetwork(generator);
        // Weights are drawn on the CPU by the run's generator, then moved: a seed gives the same run on every device.
        network.to(_run.Device);
        if (!resume && options.InitFrom is not null) InitialWeights.Load(network, options.InitFrom);
        var loader = new BatchLoader(_run.Data.Train, AugmentationPipeline.Training(options.Augmentation, _run.Data.Normalization),
            new LoaderOptions { BatchSize = options.BatchSize, Shuffle = true, DropLast = true, Seed = options.Seed, Threads = options.Workers });
        if (loader.BatchCount == 0)
            throw InvalidInputException.ForOption("BatchSize", $"{options.BatchSize} is larger than the training set ({_run.Data.Train.Count} images)");
        var validation = BatchLoader.ForEvaluation(_run.Data.Validation, _run.Data.Normalization, Math.Max(options.BatchSize, 256), options.Workers);

        using var optimizer = optim.SGD(network.parameters(), options.LearningRate, options.Momentum,
            weight_decay: options.WeightDecay, nesterov: options.Nesterov);
        var schedule = LearningRateSchedule.Create(optimizer, options, loader.BatchCount);

        int firstEpoch = 1, firstStep = 0;
        double bestTop1 = double.NegativeInfinity;
        var log = new MetricsLog(_run.Directory);
        if (resume)
        {
            var saved = Checkpoint.ReadInfo(_run.LastCheckpointPath).State;
            // TorchSharp's cosine is recursive in the current rate, so replay it from the start, as the
            // uninterrupted run stepped it, before the optimizer state comes back. The optimizer state holds the
            // rate the run was saved with; the replayed one wins, so a run extended with more epochs continues on
            // the cosine over its new total (README: what may change on --resume).
            for (long s = 0; s < (long)saved.Epoch * loader.BatchCount + saved.StepInEpoch; s++) schedule.step();
            var replayed = optimizer.ParamGroups.Select(g => g.LearningRate).ToList();
            var state = Checkpoint.Restore(_run.LastCheckpointPath, network, optimizer, generator);
            foreach (var (group, rate) in optimizer.ParamGroups.Zip(replayed)) group.LearningRate = rate;
            firstEpoch = state.Epoch + 1;
            firstStep = state.StepInEpoch;
            bestTop1 = state.BestTop1;
            log.TruncateAfter(state.Epoch);
        }

        var history = new List<EpochMetrics>();
        var codedIndices = network.CodedBlocks.Select(b => b.BlockIndex).ToList();
        long maxSteps = options.MaxSteps ?? long.MaxValue;
        for (int epoch = firstEpoch; epoch <= options.Epochs && !cancel.IsCancellationRequested; epoch++)
        {
            long before = (long)(epoch - 1) * loader.BatchCount;
            if (before + firstStep >= maxSteps)
            {
                _run.StoppedAtStep = before + firstStep;
                break;
            }
            int stopAt = (int)Math.Min(loader.BatchCount, maxSteps - before);
            var train = TrainEpoch(network, optimizer, schedule, loader, epoch, firstStep, stopAt, progress, cancel);
            firstStep = 0;
            if (train is null) break; // cancelled mid-epoch: the last checkpoint stays as it was
            if (stopAt < loader.BatchCount)
            {
                // --max-steps mid-epoch: the position inside the epoch is the whole state the seeded loader needs
                // to serve the rest of it; no evaluation, which belongs to whole epochs.
                Checkpoint.Save(_run.LastCheckpointPath, _run, network, optimizer, generator,
                    new TrainingState(epoch - 1, bestTop1, train, stopAt));
                _run.StoppedAtStep = before + stopAt;
                break;
            }
            var eval = EvaluationResult.Measure(network, validation, _run.Data.Validation.ClassCount);
            var metrics = train with { ValidationTop1 = eval.Classification.Top1, EarlyDecoderAccuracy = eval.EarlyDecoding.Accuracy };
            log.Append(metrics, codedIndices);

            bool best = metrics.ValidationTop1 > bestTop1;
            bestTop1 = Math.Max(bestTop1, metrics.ValidationTop1);
            var state = new TrainingState(epoch, bestTop1, metrics);
            // Finite losses can still end in non-finite weights (the last step of the epoch); never let those
            // replace a good checkpoint.
            Divergence.CheckWeights(network, epoch);
            Checkpoint.Save(_run.LastCheckpointPath, _run, network, optimizer, generator, state);
            if (best) ModelFile.CopyAtomically(_run.LastCheckpointPath, _run.BestCheckpointPath);
            history.Add(metrics);
            epochDone?.Invoke(metrics);
        }
        return history;
    }

    private EpochMetrics? TrainEpoch(CodedResNeXtNetwork network, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler schedule,
        BatchLoader loader, int epoch, int firstStep, int stopAt, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var options = _run.Options;
        network.train();
        int steps = loader.BatchCount, step = firstStep, coded = network.CodedBlocks.Count;
        var objective = CodingObjective.From(options);
        double lossSum = 0, ceSum = 0, codingSum = 0;
        var blockSums = new double[coded];
        long correct = 0, seen = 0;
        double lr = optimizer.ParamGroups.First().LearningRate;
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader.Epoch(epoch, firstBatch: firstStep))
        {
            if (cancel.IsCancellationRequested) return null;
            using var scope = NewDisposeScope();
            var (images, labels) = batch.ToTensors(network.Device);
            var output = network.call(images);
            var crossEntropy = nn.functional.cross_entropy(output.Logits, labels);
            var coding = objective.Compute(network, output, labels);
            var loss = crossEntropy + objective.Mu * coding.Total;
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lr = optimizer.ParamGroups.First().LearningRate; // the rate this step used
            schedule.step();

            step++;
            seen += batch.Count;
            float stepLoss = loss.item<float>();
            if (!float.IsFinite(stepLoss)) Divergence.Fail(epoch, step, steps, stepLoss, lr);
            lossSum += stepLoss * batch.Count;
            ceSum += crossEntropy.item<float>() * batch.Count;
            codingSum += coding.Total.item<float>() * batch.Count;
            for (int b = 0; b < coded; b++) blockSums[b] += coding.PerBlock[b].item<float>() * batch.Count;
            correct += output.Logits.argmax(1).eq(labels).sum().item<long>();
            if (progress is not null && (step % 5 == 0 || step == steps))
                progress.Report(new TrainingProgress(epoch, options.Epochs, step, steps, lossSum / seen, codingSum / seen,
                    (double)correct / seen, seen / clock.Elapsed.TotalSeconds, lr));
            if (step == stopAt) break;
        }
        if (cancel.IsCancellationRequested) return null;
        double seconds = clock.Elapsed.TotalSeconds;
        return new EpochMetrics(epoch, lossSum / seen, ceSum / seen, codingSum / seen, (double)correct / seen,
            blockSums.Select(s => s / seen).ToList(), double.NaN, [], lr, seen / seconds, seconds);
    }
}
