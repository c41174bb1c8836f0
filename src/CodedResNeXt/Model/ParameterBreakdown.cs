namespace CodedResNeXt.Model;

/// <summary>Parameters of one stage (all its blocks, projection shortcuts included).</summary>
/// <param name="Stage">the stage's name, e.g. "c3"</param>
/// <param name="Parameters">learnable parameters of its blocks</param>
internal sealed record StageParameters(string Stage, long Parameters);

/// <summary>Where a network's parameters are: stem, stages, classifier. BN running statistics are buffers, not counted.</summary>
/// <param name="Stem">parameters of the stem: conv and BN</param>
/// <param name="Stages">each stage, in order of first appearance</param>
/// <param name="Classifier">weights of the bias-free linear classifier</param>
internal sealed record ParameterBreakdown(long Stem, IReadOnlyList<StageParameters> Stages, long Classifier)
{
    /// <summary>Learnable parameters of the whole network.</summary>
    public long Total => Stem + Stages.Sum(s => s.Parameters) + Classifier;
}
