namespace CodedResNeXt.Data.Loading;

/// <summary>How a <see cref="BatchLoader"/> cuts an epoch into batches.</summary>
public sealed record LoaderOptions
{
    public int BatchSize { get; init; } = 128;
    /// <summary>A new random order every epoch (training); off gives dataset order (evaluation).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>With the epoch and sample index, fixes the order and every augmentation.</summary>
    public int Seed { get; init; }
    /// <summary>Leave out the last, smaller batch.</summary>
    public bool DropLast { get; init; }
    /// <summary>Threads augmenting the samples of one batch; 0 means one per core.</summary>
    public int Threads { get; init; }
}
