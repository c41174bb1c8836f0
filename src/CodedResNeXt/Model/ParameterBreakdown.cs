namespace CodedResNeXt.Model;

/// <summary>Parameters of one stage (all its blocks, projection shortcuts included).</summary>
public sealed record StageParameters(string Stage, long Parameters);

/// <summary>Where a network's parameters are: stem, stages, classifier. BN running statistics are buffers, not counted.</summary>
public sealed record ParameterBreakdown(long Stem, IReadOnlyList<StageParameters> Stages, long Classifier)
{
    /// <summary>Learnable parameters of the whole network.</summary>
    public long Total => Stem + Stages.Sum(s => s.Parameters) + Classifier;
}
