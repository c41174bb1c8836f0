namespace CodedResNeXt.Analysis;

/// <summary>What an analysis (<see cref="NetworkAnalysis"/>) measures and on how many images. The defaults are `crx analyze`'s.</summary>
public sealed record AnalysisOptions
{
    /// <summary>
    /// The block whose subNNs the specialization test removes; null picks the paper's: for the ImageNet network the second
    /// block of its last stage, for the CIFAR networks (and any other) the last block of the first coded stage.
    /// </summary>
    public int? Block { get; init; }

    /// <summary>Run the specialization test at all (it costs N extra passes over the later blocks).</summary>
    public bool Specialization { get; init; } = true;

    /// <summary>Classes (original labels) that get a binary classifier; null: every trained class, or 20 sampled ones for 100+ classes.</summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>
    /// Training images whose outputs fit the thresholds: a seeded random subset of this size (the whole set when it
    /// is smaller), since every classifier runs over every one of them.
    /// </summary>
    public int ThresholdSamples { get; init; } = 10000;

    /// <summary>Validation images whose paths through the coded blocks are kept, each of a different class.</summary>
    public int ExamplePaths { get; init; } = 6;

    /// <summary>Bins of each binary classifier's score histograms.</summary>
    public int HistogramBins { get; init; } = 40;

    /// <summary>Seed of every random choice: subsets, sampled classes and negatives, removed subNNs, example images.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Images per forward pass, in the threshold fit and in the validation and OOD passes; memory grows with it.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the CLI flag of a bad user value.</summary>
    public void Validate()
    {
        if (ThresholdSamples < 1) throw InvalidInputException.ForOption("ThresholdSamples", $"{ThresholdSamples} must be at least 1");
        if (BatchSize < 1) throw InvalidInputException.ForOption("BatchSize", $"{BatchSize} must be at least 1");
        ArgumentOutOfRangeException.ThrowIfNegative(ExamplePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(HistogramBins, 1);
    }
}

/// <summary>Where an analysis stands: <paramref name="Done"/> of <paramref name="Total"/> images of one pass.</summary>
public sealed record AnalysisProgress(string Pass, int Done, int Total);
