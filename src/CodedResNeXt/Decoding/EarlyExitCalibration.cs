using CodedResNeXt.Evaluation;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Decoding;

/// <summary>Choosing the exit thresholds (<see cref="EarlyExitCalibration"/>) on unlabelled images.</summary>
internal static partial class EarlyExit
{
    /// <summary>
    /// Chooses the thresholds on the images of <paramref name="loader"/> (no augmentation expected). At each coded block,
    /// among the samples that have not left yet, sorted by margin, the largest group of highest margins whose early
    /// prediction agrees with the full network's at rate &gt;= target leaves (ties in margin leave together); so the
    /// exits agree at least at the target on this set, and overall agreement is at least the target.
    /// </summary>
    internal static EarlyExitCalibration Calibrate(CodedResNeXtNetwork network, BatchLoader loader, double target, CancellationToken cancel = default) =>
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
}
