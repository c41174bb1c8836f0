using System.Runtime.ExceptionServices;
using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Data.Loading;

/// <summary>
/// Cuts a dataset into batches of augmented, normalized samples (the samples of a batch in parallel).
/// Everything random comes from the seed, the epoch and the sample's dataset index, never from timing: the same seed and epoch give
/// the same order and the same augmentations whatever the thread count.
/// </summary>
public sealed class BatchLoader
{
    // Evaluation pipelines have no random steps; they are handed this instead of a fresh generator.
    private static readonly Random Unused = new(0);

    public BatchLoader(ImageDataset dataset, AugmentationPipeline pipeline, LoaderOptions options)
    {
        if (options.BatchSize < 1) throw InvalidInputException.ForOption("BatchSize", $"must be at least 1, got {options.BatchSize}");
        if (pipeline.Normalization.Channels != dataset.Channels)
            throw new ArgumentException($"the normalization has {pipeline.Normalization.Channels} channels, {dataset.Name} has {dataset.Channels}");
        Dataset = dataset;
        Pipeline = pipeline;
        Options = options;
        SampleShape = pipeline.OutputShape(dataset.Channels, dataset.Height, dataset.Width);
    }

    /// <summary>A loader in dataset order, without augmentation, keeping the last partial batch.</summary>
    public static BatchLoader ForEvaluation(ImageDataset dataset, Normalization normalization, int batchSize, int threads = 0) =>
        new(dataset, AugmentationPipeline.Evaluation(normalization),
            new LoaderOptions { BatchSize = batchSize, Shuffle = false, Threads = threads });

    public ImageDataset Dataset { get; }
    public AugmentationPipeline Pipeline { get; }
    public LoaderOptions Options { get; }
    /// <summary>(channels, height, width) of every sample in a batch.</summary>
    public (int Channels, int Height, int Width) SampleShape { get; }

    public int BatchCount => Options.DropLast
        ? Dataset.Count / Options.BatchSize
        : (Dataset.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The dataset indices of an epoch in the order they are served.</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Options.Shuffle) new Random(MixSeed(Options.Seed, epoch, -1)).Shuffle(order);
        return order;
    }

    /// <summary>
    /// The batches of one epoch, each prepared when asked for (its samples augmented in parallel).
    /// Nothing runs beside the consumer: TorchSharp 0.107 does not keep temporary Scalars alive across its native
    /// calls, so a garbage collection started by another thread mid-call can finalize one in use (we saw a
    /// BatchNorm step fail with a garbage alpha). Preparing ahead would gain under 1 % here (a Fashion-MNIST
    /// batch takes about 0.5 ms, its training step over 100 ms), so batches are made on the consumer's thread.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancel = default)
    {
        var order = Order(epoch);
        for (int b = 0; b < BatchCount; b++)
        {
            cancel.ThrowIfCancellationRequested();
            yield return Build(order, b, epoch);
        }
    }

    /// <summary>Batch <paramref name="batchIndex"/> of <paramref name="epoch"/>, prepared on the calling thread's pool.</summary>
    public Batch Build(int epoch, int batchIndex) => Build(Order(epoch), batchIndex, epoch);

    private Batch Build(int[] order, int batchIndex, int epoch)
    {
        int start = batchIndex * Options.BatchSize;
        int n = Math.Min(Options.BatchSize, order.Length - start);
        if (batchIndex < 0 || n <= 0) throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"an epoch has {BatchCount} batches");
        var (c, h, w) = SampleShape;
        int sampleFloats = c * h * w;
        var images = new float[n * sampleFloats];
        var labels = new long[n];
        var indices = new int[n];
        var ds = Dataset;
        bool random = Pipeline.Steps.Count > 0;

        void Sample(int j, ImageBuffer buffer)
        {
            int index = order[start + j];
            var rng = random ? new Random(MixSeed(Options.Seed, epoch, index)) : Unused;
            Pipeline.Apply(ds.Image(index), ds.Channels, ds.Height, ds.Width, rng, buffer,
                images.AsSpan(j * sampleFloats, sampleFloats));
            labels[j] = ds.Label(index);
            indices[j] = index;
        }

        int threads = Options.Threads > 0 ? Options.Threads : Environment.ProcessorCount;
        if (threads == 1 || n == 1)
        {
            var buffer = new ImageBuffer();
            for (int j = 0; j < n; j++) Sample(j, buffer);
        }
        else
        {
            try
            {
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new ImageBuffer(),
                    (j, _, buffer) => { Sample(j, buffer); return buffer; }, _ => { });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // Surface what went wrong in the sample, not the parallel loop's wrapper.
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        return new Batch(images, labels, indices, c, h, w);
    }

    /// <summary>A well-mixed non-negative 31-bit seed from (seed, epoch, index) (SplitMix64 finalizer).</summary>
    internal static int MixSeed(int seed, int epoch, long index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        z ^= (ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL + 0x632BE59BD9B4E019UL;
        z ^= (ulong)index * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
