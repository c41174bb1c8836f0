using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>
/// Per coded block, the margin from which a sample leaves the network there (null: no sample leaves there), calibrated
/// so that the samples leaving at each block agree with the full network's prediction at least at <see cref="Target"/>.
/// </summary>
/// <param name="Target">the agreement with the full network's predictions the exits must reach, in (0, 1]</param>
/// <param name="CodedBlockIndices">index among all blocks of each coded block, parallel to <paramref name="Thresholds"/></param>
/// <param name="Thresholds">per coded block, the margin d2 - d1 from which a sample leaves there; null where none leaves</param>
/// <param name="CalibrationImages">how many images the thresholds were chosen on</param>
public sealed record EarlyExitCalibration(double Target, IReadOnlyList<int> CodedBlockIndices, IReadOnlyList<double?> Thresholds, int CalibrationImages);

/// <summary>Predictions of an early-exit pass, per sample.</summary>
/// <param name="Predicted">the class index (network output) each sample was given</param>
/// <param name="ExitBlock">index of the coded block each sample left at; -1 for the samples that ran to the head</param>
/// <param name="Cost">multiply-accumulates each sample's pass computed</param>
public sealed record EarlyExitPredictions(long[] Predicted, int[] ExitBlock, long[] Cost);

/// <summary>What an early-exit evaluation found on a labelled set.</summary>
/// <param name="Calibration">the thresholds that were evaluated</param>
/// <param name="Images">images in the labelled set</param>
/// <param name="Accuracy">top-1 of the early-exit predictions</param>
/// <param name="FullAccuracy">top-1 of the full network on the same images</param>
/// <param name="Agreement">fraction of images whose early-exit prediction equals the full network's</param>
/// <param name="ComputeFraction">mean over images of the fraction of the full network's multiply-accumulates computed</param>
/// <param name="ExitFractions">fraction of images leaving at each coded block (parallel to the calibration's blocks)</param>
public sealed record EarlyExitResult(EarlyExitCalibration Calibration, int Images, double Accuracy, double FullAccuracy, double Agreement,
    // JSON keeps the name crx eval --json has always printed.
    [property: System.Text.Json.Serialization.JsonPropertyName("flops_fraction")] double ComputeFraction, IReadOnlyList<double> ExitFractions);

/// <summary>
/// Early-exit inference, which the paper does not have: the coded blocks are decoders (<see cref="EarlyDecoder"/>), so a
/// sample whose scaled energies lie clearly nearer one codeword than any other can be classified there without the
/// remaining blocks. Confidence is the margin d2 - d1 between the distances to the two nearest codewords. The margins
/// are calibrated on labelled-free data against the full network's own predictions (agreement, not accuracy, is the
/// target: an exit should change no answer), block by block in network order on the samples still running.
/// </summary>
public static class EarlyExit
{
    /// <summary>The model-file section holding the calibrations stored for a checkpoint, one per target.</summary>
    public const string Section = "early_exit";

    /// <summary>The calibrations stored in a model file's metadata (none when it holds none).</summary>
    public static IReadOnlyList<EarlyExitCalibration> Stored(ModelMetadata meta, string path) =>
        meta.Sections?.ContainsKey(Section) == true ? meta.Section<List<EarlyExitCalibration>>(Section, path) : [];

    /// <summary>The stored calibration for <paramref name="target"/>; a one-line error naming the file and the stored targets otherwise.</summary>
    public static EarlyExitCalibration StoredFor(ModelMetadata meta, string path, double target)
    {
        var stored = Stored(meta, path);
        return stored.FirstOrDefault(c => Math.Abs(c.Target - target) < 1e-9) ?? throw InvalidInputException.ForFile(path,
            $"holds no early-exit calibration for the target {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}" +
            (stored.Count == 0 ? "" : $" (it holds {string.Join(", ", stored.Select(c => c.Target.ToString(System.Globalization.CultureInfo.InvariantCulture)))})"));
    }

    /// <summary>Stores <paramref name="calibration"/> in a checkpoint's metadata, replacing one for the same target; the weights are untouched.</summary>
    public static void Store(string path, EarlyExitCalibration calibration) =>
        ModelFile.RewriteMetadata(path, meta =>
        {
            if (!meta.Architecture.CodedBlockIndices.SequenceEqual(calibration.CodedBlockIndices))
                throw InvalidInputException.ForFile(path, "the calibration was made for another network's coded blocks");
            var kept = Stored(meta, path).Where(c => Math.Abs(c.Target - calibration.Target) >= 1e-9);
            return meta.WithSection(Section, kept.Append(calibration).OrderBy(c => c.Target).ToList());
        });

    /// <summary>Margin d2 - d1 [B] and nearest codeword (the early prediction, a class index among all K) [B].</summary>
    public static (Tensor Margin, Tensor Class) Decode(Tensor energies, CodedBlock block)
    {
        using var scope = NewDisposeScope();
        var distances = EarlyDecoder.Distances(energies, block);
        var (nearest, classes) = distances.topk(2, dim: 1, largest: false, sorted: true);
        var margin = nearest[.., 1] - nearest[.., 0];
        return (margin.MoveToOuterDisposeScope(), classes[.., 0].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Chooses the thresholds on the images of <paramref name="loader"/> (no augmentation expected). At each coded block,
    /// among the samples that have not left yet, sorted by margin, the largest group of highest margins whose early
    /// prediction agrees with the full network's at rate &gt;= target leaves (ties in margin leave together); so the
    /// exits agree at least at the target on this set, and overall agreement is at least the target.
    /// </summary>
    public static EarlyExitCalibration Calibrate(CodedResNeXtNetwork network, BatchLoader loader, double target, CancellationToken cancel = default) =>
        Calibrate(network, loader.Epoch(0, cancel).Select(b =>
        {
            var (images, labels) = b.ToTensors(network.Device);
            labels.Dispose();
            return images;
        }), target, disposeBatches: true);

    /// <summary>The same on batches of normalized images [B, C, H, W].</summary>
    public static EarlyExitCalibration Calibrate(CodedResNeXtNetwork network, IEnumerable<Tensor> batches, double target, bool disposeBatches = false)
    {
        if (!(target > 0 && target <= 1)) throw InvalidInputException.ForOption("EarlyExit", $"the target agreement {target} is not in (0, 1]");
        int coded = network.CodedBlocks.Count;
        if (coded == 0) throw InvalidInputException.ForOption("EarlyExit", "the network has no coded block to exit at");
        var margins = Enumerable.Range(0, coded).Select(_ => new List<double>()).ToArray();
        var agrees = Enumerable.Range(0, coded).Select(_ => new List<bool>()).ToArray();
        var outputClasses = network.Architecture.OutputClasses;
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var images in batches)
            {
                using var owned = disposeBatches ? images : null;
                using var scope = NewDisposeScope();
                var output = network.call(images);
                var final = output.Logits.argmax(1).data<long>().ToArray();
                for (int b = 0; b < coded; b++)
                {
                    var (margin, cls) = Decode(output.BlockEnergies[b], network.CodedBlocks[b]);
                    var m = margin.to_type(ScalarType.Float64).data<double>().ToArray();
                    var c = cls.data<long>().ToArray();
                    for (int i = 0; i < m.Length; i++)
                    {
                        margins[b].Add(m[i]);
                        agrees[b].Add(c[i] == outputClasses[(int)final[i]]);
                    }
                }
            }
        }
        finally { network.train(wasTraining); }

        int n = margins[0].Count;
        var running = Enumerable.Range(0, n).ToList();
        var thresholds = new double?[coded];
        for (int b = 0; b < coded && running.Count > 0; b++)
        {
            var order = running.OrderByDescending(i => margins[b][i]).ToList();
            int agreeing = 0, best = 0;
            for (int k = 1; k <= order.Count; k++)
            {
                if (agrees[b][order[k - 1]]) agreeing++;
                bool groupEnds = k == order.Count || margins[b][order[k]] < margins[b][order[k - 1]];
                if (groupEnds && agreeing >= target * k) best = k;
            }
            if (best == 0) continue;
            double threshold = margins[b][order[best - 1]];
            // A zero margin is a tie between two codewords: such a sample never has a confident early answer.
            if (threshold <= 0) continue;
            thresholds[b] = threshold;
            running = running.Where(i => margins[b][i] < threshold).ToList();
        }
        return new EarlyExitCalibration(target, network.CodedBlocks.Select(c => c.BlockIndex).ToList(), thresholds, n);
    }

    /// <summary>
    /// Classifies a batch, running it block by block and, after each coded block with a threshold, taking out the
    /// samples whose margin reaches it: the remaining blocks run on the others only.
    /// </summary>
    /// <param name="network">a network with the calibration's coded blocks; run in eval mode without gradients, then put back in its mode</param>
    /// <param name="images">[B, C, H, W], normalized</param>
    /// <param name="calibration">the exit thresholds (<see cref="Calibrate(CodedResNeXtNetwork, BatchLoader, double, CancellationToken)"/>)</param>
    public static EarlyExitPredictions Predict(CodedResNeXtNetwork network, Tensor images, EarlyExitCalibration calibration)
    {
        if (!calibration.CodedBlockIndices.SequenceEqual(network.CodedBlocks.Select(c => c.BlockIndex)))
            throw new ArgumentException("the calibration was made for another network's coded blocks");
        var cost = ComputeCost.Of(network.Architecture);
        var outputClasses = network.Architecture.OutputClasses;
        var outputOf = outputClasses.Select((k, o) => (k, o)).ToDictionary(p => p.k, p => (long)p.o);
        long batch = images.shape[0];
        var predicted = new long[batch];
        var exitBlock = Enumerable.Repeat(-1, (int)batch).ToArray();
        var spent = Enumerable.Repeat(cost.Total, (int)batch).ToArray();
        var rows = Enumerable.Range(0, (int)batch).ToArray(); // original index of each row still running

        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = network.ForwardStem(images);
            int from = 0;
            for (int b = 0; b < network.CodedBlocks.Count && rows.Length > 0; b++)
            {
                if (calibration.Thresholds[b] is not { } threshold) continue;
                var block = network.CodedBlocks[b];
                var blocks = network.ForwardIntermediates(x, from, block.BlockIndex + 1);
                x = blocks.Output;
                from = block.BlockIndex + 1;
                var (margin, cls) = Decode(blocks.Energies[^1], block);
                var m = margin.data<float>().ToArray();
                var c = cls.data<long>().ToArray();
                var stay = new List<long>();
                for (int i = 0; i < rows.Length; i++)
                {
                    // A class the network does not output (an extracted classifier's) cannot be an exit answer.
                    if (m[i] >= threshold && outputOf.TryGetValue((int)c[i], out long output))
                    {
                        predicted[rows[i]] = output;
                        exitBlock[rows[i]] = block.BlockIndex;
                        spent[rows[i]] = cost.Through(block.BlockIndex);
                    }
                    else stay.Add(i);
                }
                if (stay.Count == rows.Length) continue;
                rows = stay.Select(i => rows[i]).ToArray();
                if (rows.Length > 0) x = x.index_select(0, tensor(stay.ToArray(), device: x.device));
            }
            if (rows.Length > 0)
            {
                var logits = network.ForwardHead(network.ForwardBlocks(x, from, network.Blocks.Count));
                var final = logits.argmax(1).data<long>().ToArray();
                for (int i = 0; i < rows.Length; i++) predicted[rows[i]] = final[i];
            }
        }
        finally { network.train(wasTraining); }
        return new EarlyExitPredictions(predicted, exitBlock, spent);
    }

    /// <summary>Runs the early-exit and the full network over a labelled set and compares them.</summary>
    public static EarlyExitResult Evaluate(CodedResNeXtNetwork network, BatchLoader loader, EarlyExitCalibration calibration,
        CancellationToken cancel = default)
    {
        var cost = ComputeCost.Of(network.Architecture);
        var outputClasses = network.Architecture.OutputClasses;
        long images = 0, correct = 0, fullCorrect = 0, agree = 0;
        double fraction = 0;
        var exits = new long[calibration.CodedBlockIndices.Count];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            foreach (var batch in loader.Epoch(0, cancel))
            {
                using var scope = NewDisposeScope();
                var (input, _) = batch.ToTensors(network.Device);
                long[] full;
                using (no_grad()) full = network.call(input).Logits.argmax(1).data<long>().ToArray();
                var early = Predict(network, input, calibration);
                for (int i = 0; i < batch.Count; i++)
                {
                    long label = batch.Labels[i];
                    images++;
                    if (outputClasses[(int)early.Predicted[i]] == label) correct++;
                    if (outputClasses[(int)full[i]] == label) fullCorrect++;
                    if (early.Predicted[i] == full[i]) agree++;
                    fraction += (double)early.Cost[i] / cost.Total;
                    int at = early.ExitBlock[i];
                    if (at >= 0) exits[calibration.CodedBlockIndices.ToList().IndexOf(at)]++;
                }
            }
        }
        finally { network.train(wasTraining); }
        double n = Math.Max(1, images);
        return new EarlyExitResult(calibration, (int)images, correct / n, fullCorrect / n, agree / n, fraction / n,
            exits.Select(e => e / n).ToList());
    }
}
