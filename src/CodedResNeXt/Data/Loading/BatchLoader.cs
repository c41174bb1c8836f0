using CodedResNeXt.Runtime;
using System.Runtime.ExceptionServices;
using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Data.Loading;

/// <summary>
/// Cuts a dataset into batches of augmented, normalized samples. An epoch is prepared by worker threads a bounded
/// number of batches ahead of its consumer (see <see cref="Epoch"/>); a streamed dataset is decoded there, so
/// memory holds only the batches in flight. Everything random comes from the seed, the epoch and the sample's
/// dataset index, never from timing: the same seed and epoch give the same order and the same augmentations
/// whatever the number of workers.
/// </summary>
internal sealed class BatchLoader
{
    // Evaluation pipelines have no random steps; they are handed this instead of a fresh generator.
    private static readonly Random Unused = new(0);

    /// <summary>
    /// A loader of <paramref name="dataset"/> through <paramref name="pipeline"/>. Throws <see cref="InvalidInputException"/>
    /// for a batch size below 1 or negative threads, and <see cref="ArgumentException"/> when the pipeline's normalization has the
    /// wrong channels or a streamed dataset's pipeline does not resize.
    /// </summary>
    /// <param name="dataset">the images to serve</param>
    /// <param name="pipeline">the augmentations and normalization every sample goes through</param>
    /// <param name="options">batch size, order, seed and threads</param>
    public BatchLoader(ImageDataset dataset, AugmentationPipeline pipeline, LoaderOptions options)
    {
        if (options.BatchSize < 1) throw InvalidInputException.ForOption("BatchSize", $"must be at least 1, got {options.BatchSize}");
        if (options.Threads < 0) throw InvalidInputException.ForOption("Workers", $"must be at least 1, got {options.Threads}");
        if (pipeline.Normalization.Channels != dataset.Channels)
            throw new ArgumentException($"the normalization has {pipeline.Normalization.Channels} channels, {dataset.Name} has {dataset.Channels}");
        // Files come in every size; only a resizing step gives the batch one shape.
        if (dataset.IsStreamed && !pipeline.Steps.Any(s => s is RandomResizedCrop or ResizeCenterCrop))
            throw new ArgumentException($"{dataset.Name} is streamed from files of any size; its pipeline must resize (a random-resized crop or the evaluation crop)");
        Dataset = dataset;
        Pipeline = pipeline;
        Options = options;
        SampleShape = pipeline.OutputShape(dataset.Channels, dataset.Height, dataset.Width);
    }

    /// <summary>A loader in dataset order, with the dataset's evaluation transform only, keeping the last partial batch.</summary>
    public static BatchLoader ForEvaluation(ImageDataset dataset, Normalization normalization, int batchSize, int threads = 0) =>
        new(dataset, new AugmentationPipeline(dataset.EvaluationSteps, normalization),
            new LoaderOptions { BatchSize = batchSize, Shuffle = false, Threads = threads });

    /// <summary>The images served.</summary>
    public ImageDataset Dataset { get; }
    /// <summary>What every sample goes through: augmentations, then normalization.</summary>
    public AugmentationPipeline Pipeline { get; }
    /// <summary>Batch size, order, seed, threads and prefetch.</summary>
    public LoaderOptions Options { get; }
    /// <summary>(channels, height, width) of every sample in a batch.</summary>
    public (int Channels, int Height, int Width) SampleShape { get; }

    /// <summary>Worker threads actually used.</summary>
    public int Workers => Options.Threads > 0 ? Options.Threads : Environment.ProcessorCount;

    /// <summary>Batches in one epoch: the last partial batch counts unless <see cref="LoaderOptions.DropLast"/>.</summary>
    // In long: a --batch near int.MaxValue would overflow the rounding up and leave no batch at all.
    public int BatchCount => Options.DropLast
        ? Dataset.Count / Options.BatchSize
        : (int)(((long)Dataset.Count + Options.BatchSize - 1) / Options.BatchSize);

    /// <summary>The dataset indices of an epoch in the order they are served.</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Options.Shuffle) new Random(SeedStreams.Mix(Options.Seed, epoch, -1)).Shuffle(order);
        return order;
    }

    /// <summary>
    /// The batches of one epoch from <paramref name="firstBatch"/> on (a resumed run skips those it has done).
    /// <see cref="Workers"/> threads decode and augment at most <see cref="LoaderOptions.Prefetch"/> batches beyond
    /// the one being waited for, into arrays the consumer's thread allocates; tensors are made by the consumer
    /// (<see cref="Batch.ToTensors"/>). While the consumer holds a batch, no garbage collection can start (see
    /// <see cref="CollectionPause"/>): allocate little between two batches.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancel = default, int firstBatch = 0)
    {
        if (firstBatch < 0 || firstBatch > BatchCount)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"an epoch has {BatchCount} batches");
        if (firstBatch == BatchCount) yield break;
        using var workers = new Prefetcher(this, Order(epoch), epoch, firstBatch);
        for (int b = firstBatch; b < BatchCount; b++)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = workers.Take(b);
            using (CollectionPause.Begin())
                yield return batch;
        }
    }

    /// <summary>Batch <paramref name="batchIndex"/> of <paramref name="epoch"/>, prepared while the caller waits.</summary>
    public Batch Build(int epoch, int batchIndex)
    {
        var order = Order(epoch);
        if (batchIndex < 0 || batchIndex >= BatchCount)
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"an epoch has {BatchCount} batches");
        var slot = new Slot(this, batchIndex);
        if (Workers == 1 || slot.Count == 1)
        {
            var buffer = new ImageBuffer();
            for (int j = 0; j < slot.Count; j++) Fill(order, epoch, slot, j, buffer);
        }
        else
        {
            try
            {
                Parallel.For(0, slot.Count, new ParallelOptions { MaxDegreeOfParallelism = Workers }, () => new ImageBuffer(),
                    (j, _, buffer) => { Fill(order, epoch, slot, j, buffer); return buffer; }, _ => { });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // Surface what went wrong in the sample, not the parallel loop's wrapper.
                ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        return slot.ToBatch();
    }

    private int BatchSize(int batchIndex) => Math.Min(Options.BatchSize, Dataset.Count - batchIndex * Options.BatchSize);

    /// <summary>Sample <paramref name="j"/> of the slot's batch: read, augment, normalize into place.</summary>
    private void Fill(int[] order, int epoch, Slot slot, int j, ImageBuffer buffer)
    {
        int index = order[slot.BatchIndex * Options.BatchSize + j];
        var rng = Pipeline.Steps.Count > 0 ? new Random(SeedStreams.Mix(Options.Seed, epoch, index)) : Unused;
        Dataset.Read(index, buffer);
        int floats = slot.SampleFloats;
        Pipeline.Apply(buffer, rng, slot.Images.AsSpan(j * floats, floats));
        slot.Labels[j] = Dataset.Label(index);
        slot.Indices[j] = index;
    }

    /// <summary>The arrays of one batch being filled, and how many of its samples are done.</summary>
    private sealed class Slot
    {
        public Slot(BatchLoader loader, int batchIndex)
        {
            BatchIndex = batchIndex;
            Count = loader.BatchSize(batchIndex);
            Shape = loader.SampleShape;
            SampleFloats = Shape.C * Shape.H * Shape.W;
            Images = new float[Count * SampleFloats];
            Labels = new long[Count];
            Indices = new int[Count];
        }

        public int BatchIndex { get; }
        public int Count { get; }
        public (int C, int H, int W) Shape { get; }
        public int SampleFloats { get; }
        public float[] Images { get; }
        public long[] Labels { get; }
        public int[] Indices { get; }
        public int Done;

        public Batch ToBatch() => new(Images, Labels, Indices, Shape.C, Shape.H, Shape.W);
    }

    /// <summary>
    /// The worker threads of one epoch. Samples are handed out in serving order, one at a time, to whichever worker
    /// is free; each lands at its fixed place in its batch, so the result does not depend on who did it. Workers
    /// only fill batches whose arrays the consumer has already allocated, which bounds the batches in flight and
    /// keeps large allocations on the consumer's thread.
    /// </summary>
    private sealed class Prefetcher : IDisposable
    {
        private readonly BatchLoader _loader;
        private readonly int[] _order;
        private readonly int _epoch;
        private readonly int _end;
        private readonly object _gate = new();
        private readonly Dictionary<int, Slot> _slots = [];
        private readonly Thread[] _threads;
        private int _next;          // the next sample position to hand out
        private int _allocatedUpTo; // batches below this have arrays
        private bool _stopping;
        private ExceptionDispatchInfo? _failure;
        private int _failedBatch = int.MaxValue;

        public Prefetcher(BatchLoader loader, int[] order, int epoch, int firstBatch)
        {
            _loader = loader;
            _order = order;
            _epoch = epoch;
            _next = (int)Math.Min(order.Length, (long)firstBatch * loader.Options.BatchSize);
            _end = (int)Math.Min(order.Length, (long)loader.BatchCount * loader.Options.BatchSize);
            _allocatedUpTo = firstBatch;
            Allocate(firstBatch);
            _threads = new Thread[loader.Workers];
            for (int t = 0; t < _threads.Length; t++)
            {
                _threads[t] = new Thread(Work) { IsBackground = true, Name = $"batch loader {t}" };
                _threads[t].Start();
            }
        }

        /// <summary>Waits for batch <paramref name="b"/>, first letting the workers go on to the batches after it.</summary>
        public Batch Take(int b)
        {
            Allocate(b);
            Slot slot;
            lock (_gate)
            {
                slot = _slots[b];
                while (slot.Done < slot.Count && _failedBatch > b) Monitor.Wait(_gate);
                if (slot.Done < slot.Count) _failure!.Throw();
                _slots.Remove(b);
            }
            return slot.ToBatch();
        }

        /// <summary>Allocates the arrays of batches up to <paramref name="b"/> + Prefetch, on the caller's thread.</summary>
        private void Allocate(int b)
        {
            int upTo = Math.Min(b + 1 + Math.Max(0, _loader.Options.Prefetch), _loader.BatchCount);
            int from;
            lock (_gate) from = _allocatedUpTo;
            if (from >= upTo) return;
            var fresh = new List<Slot>();
            for (int k = from; k < upTo; k++) fresh.Add(new Slot(_loader, k));
            lock (_gate)
            {
                foreach (var slot in fresh) _slots[slot.BatchIndex] = slot;
                _allocatedUpTo = upTo;
                Monitor.PulseAll(_gate);
            }
        }

        private void Work()
        {
            var buffer = new ImageBuffer();
            int batchSize = _loader.Options.BatchSize;
            while (true)
            {
                int position;
                Slot slot;
                lock (_gate)
                {
                    while (!_stopping && _next < _end && _next / batchSize >= _allocatedUpTo) Monitor.Wait(_gate);
                    if (_stopping || _next >= _end) return;
                    position = _next++;
                    slot = _slots[position / batchSize];
                }
                try
                {
                    _loader.Fill(_order, _epoch, slot, position - slot.BatchIndex * batchSize, buffer);
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        // The consumer meets the failure of the earliest batch, the one an in-order loop would have hit.
                        if (slot.BatchIndex < _failedBatch)
                        {
                            _failedBatch = slot.BatchIndex;
                            _failure = ExceptionDispatchInfo.Capture(e);
                        }
                        Monitor.PulseAll(_gate);
                    }
                    continue;
                }
                lock (_gate)
                {
                    if (++slot.Done == slot.Count) Monitor.PulseAll(_gate);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stopping = true;
                Monitor.PulseAll(_gate);
            }
            foreach (var thread in _threads) thread.Join();
        }
    }
}
