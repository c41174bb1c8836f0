namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// The confusion counts of a binary decision "score >= threshold", with its precision, recall, F1 and false-positive
/// rate. The rate, unlike precision, does not depend on how many negatives there are, so it compares negatives of
/// different kinds and sizes (in-distribution against held-out classes). Results written before the true negatives
/// were kept read them as 0.
/// </summary>
/// <param name="Threshold">a score at or above it is a "yes"</param>
/// <param name="TruePositives">positives scored yes (TP)</param>
/// <param name="FalsePositives">negatives scored yes (FP)</param>
/// <param name="FalseNegatives">positives scored no (FN)</param>
/// <param name="TrueNegatives">negatives scored no (TN)</param>
public sealed record BinaryScores(double Threshold, int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives = 0)
{
    /// <summary>TP / (TP + FP); 1 when nothing was accepted.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);
    /// <summary>TP / (TP + FN); 1 when there are no positives.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);
    /// <summary>2TP / (2TP + FP + FN); 0 when no positive was accepted.</summary>
    public double F1 => TruePositives == 0 ? 0 : 2.0 * TruePositives / (2.0 * TruePositives + FalsePositives + FalseNegatives);
    /// <summary>The share of negatives accepted; NaN without negatives.</summary>
    public double FalsePositiveRate => FalsePositives + TrueNegatives == 0 ? double.NaN : (double)FalsePositives / (FalsePositives + TrueNegatives);

    /// <summary>Scores the decision "score >= threshold" against the truth.</summary>
    public static BinaryScores At(double threshold, IReadOnlyList<float> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException($"{scores.Count} scores but {positive.Count} labels");
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            bool yes = scores[i] >= threshold;
            if (yes && positive[i]) tp++;
            else if (yes) fp++;
            else if (positive[i]) fn++;
            else tn++;
        }
        return new BinaryScores(threshold, tp, fp, fn, tn);
    }
}

/// <summary>
/// The decision threshold of a binary classifier (docs/method.md#what-a-trained-network-gives-you): the value that maximizes F1 on the
/// training set's outputs. Candidates are the midpoints between consecutive distinct scores (and one below
/// the lowest), so the threshold separates the scores it was fitted on with a margin on both sides.
/// </summary>
internal static class DecisionThreshold
{
    /// <summary>
    /// The threshold with the highest F1 on <paramref name="scores"/>, with its counts; of equally good thresholds the highest wins.
    /// Throws <see cref="ArgumentException"/> when the lists differ in length or are empty.
    /// </summary>
    /// <param name="scores">one score (logit) per sample</param>
    /// <param name="positive">per sample: whether it belongs to the class</param>
    public static BinaryScores MaximizingF1(IReadOnlyList<float> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException($"{scores.Count} scores but {positive.Count} labels");
        if (scores.Count == 0) throw new ArgumentException("no scores to fit a threshold on");
        int positives = positive.Count(p => p);
        // Sweep the scores from the highest down: lowering the threshold past a score accepts that sample.
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        int tp = 0, fp = 0;
        double bestF1 = -1, bestThreshold = scores[order[0]] + 1;
        int bestTp = 0, bestFp = 0;
        for (int j = 0; j < order.Length; j++)
        {
            if (positive[order[j]]) tp++; else fp++;
            // Only a threshold between two distinct scores (or below the last) is a real choice.
            if (j + 1 < order.Length && scores[order[j + 1]] == scores[order[j]]) continue;
            double f1 = tp == 0 ? 0 : 2.0 * tp / (tp + fp + positives);
            if (f1 > bestF1)
            {
                bestF1 = f1;
                bestThreshold = j + 1 < order.Length ? (scores[order[j]] + (double)scores[order[j + 1]]) / 2 : scores[order[j]] - 1;
                bestTp = tp;
                bestFp = fp;
            }
        }
        return new BinaryScores(bestThreshold, bestTp, bestFp, positives - bestTp, scores.Count - positives - bestFp);
    }
}
