namespace CodedResNeXt.Data;

/// <summary>
/// Per-channel mean and standard deviation, in units where a pixel byte b is b / 255. A normalized value is
/// (b / 255 - Mean[c]) / Std[c]. CIFAR runs use the released code's constants by default (docs/method.md#training-recipe), so a
/// network moves between its code and ours unchanged; other datasets, and CIFAR on request, use their training
/// set's own statistics (<see cref="NormalizationSource"/>).
/// </summary>
/// <param name="Mean">per channel, the mean of b / 255</param>
/// <param name="Std">per channel, the standard deviation of b / 255</param>
public sealed record Normalization(IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>Channels the normalization applies to (the length of <see cref="Mean"/> and <see cref="Std"/>).</summary>
    public int Channels => Mean.Count;

    /// <summary>Images of a streamed dataset that <see cref="Compute"/> decodes: enough for statistics to three decimals.</summary>
    public const int StreamedSample = 1000;

    /// <summary>
    /// The mean and population standard deviation of each channel over every pixel of every image; for a streamed
    /// dataset, over <see cref="StreamedSample"/> images evenly spaced through it (after the evaluation transform),
    /// since decoding a whole ImageNet-sized folder once more would take longer than an epoch.
    /// </summary>
    public static Normalization Compute(ImageDataset dataset)
    {
        int c = dataset.Channels, plane = dataset.Height * dataset.Width;
        // Histograms make the pass one increment per byte and the sums exact.
        var histograms = new long[c, 256];
        void Count(ReadOnlySpan<byte> image, long[,] into)
        {
            for (int ch = 0; ch < c; ch++)
                foreach (byte b in image.Slice(ch * plane, plane)) into[ch, b]++;
        }
        if (dataset.IsStreamed)
        {
            int n = Math.Min(dataset.Count, StreamedSample);
            var gate = new object();
            try
            {
            Parallel.For(0, n, () => new long[c, 256], (k, _, local) =>
            {
                Count(dataset.Image((int)((long)k * dataset.Count / n)), local);
                return local;
            }, local =>
            {
                lock (gate)
                    for (int ch = 0; ch < c; ch++)
                        for (int v = 0; v < 256; v++) histograms[ch, v] += local[ch, v];
            });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        else
        {
            var pixels = dataset.Pixels.Span;
            for (int i = 0; i < dataset.Count; i++) Count(pixels.Slice(i * dataset.ImageBytes, dataset.ImageBytes), histograms);
        }
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double n = 0, sum = 0, sumSq = 0;
            for (int v = 0; v < 256; v++)
            {
                double count = histograms[ch, v], x = v / 255.0;
                n += count; sum += count * x; sumSq += count * x * x;
            }
            double m = n > 0 ? sum / n : 0;
            double variance = n > 0 ? Math.Max(sumSq / n - m * m, 0) : 0;
            mean[ch] = (float)m;
            // A constant channel would divide by zero; leave its scale alone instead.
            std[ch] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new Normalization(mean, std);
    }

    /// <summary>
    /// Refuses constants that cannot normalize <paramref name="channels"/>-channel images: a list of another length
    /// (an empty one fails on the first pixel), a non-finite value, or a std of 0 or less (division by zero: every
    /// prediction NaN). <paramref name="source"/> starts the message (the model file).
    /// </summary>
    public void Validate(string source, int channels)
    {
        void Fail(string problem) => throw new InvalidInputException($"{source}: the normalization {problem}");
        if (Mean is null || Std is null) Fail("has no mean or no std");
        if (Mean!.Count != channels || Std!.Count != channels)
            Fail($"has {Mean.Count} means and {Std!.Count} stds for {channels}-channel images");
        for (int c = 0; c < channels; c++)
        {
            if (!float.IsFinite(Mean[c])) Fail($"has mean {Mean[c]} on channel {c}; it must be a finite number");
            if (!(float.IsFinite(Std[c]) && Std[c] > 0)) Fail($"has std {Std[c]} on channel {c}; it must be a finite number above 0");
        }
    }

    /// <summary>The released code's constants for a dataset (its registry entry's; cifar10 and cifar100 have them), or null for a dataset without any.</summary>
    public static Normalization? Published(string dataset) => DatasetRegistry.Get(dataset).PublishedNormalization;

    /// <summary>Mean 0 and std 1 on every channel: only the scaling of bytes to 0..1.</summary>
    public static Normalization Unit(int channels) =>
        new(Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>The 256 normalized values of each channel, so normalizing is one table look-up per byte.</summary>
    internal float[][] LookupTables()
    {
        var tables = new float[Channels][];
        for (int ch = 0; ch < Channels; ch++)
        {
            tables[ch] = new float[256];
            for (int v = 0; v < 256; v++) tables[ch][v] = (v / 255f - Mean[ch]) / Std[ch];
        }
        return tables;
    }
}
