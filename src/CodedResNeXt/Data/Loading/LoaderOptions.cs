namespace CodedResNeXt.Data.Loading;

/// <summary>How a <see cref="BatchLoader"/> cuts an epoch into batches.</summary>
internal sealed record LoaderOptions
{
    /// <summary>Samples per batch, at least 1.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>A new random order every epoch (training); off gives dataset order (evaluation).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>With the epoch and sample index, fixes the order and every augmentation.</summary>
    public int Seed { get; init; }
    /// <summary>Leave out the last, smaller batch.</summary>
    public bool DropLast { get; init; }
    /// <summary>Worker threads decoding and augmenting samples (--workers); 0 means one per core.</summary>
    public int Threads { get; init; }
    /// <summary>How many batches the workers may prepare beyond the one the consumer is waiting for.</summary>
    public int Prefetch { get; init; } = 2;
}
