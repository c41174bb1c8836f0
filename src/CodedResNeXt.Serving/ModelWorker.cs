using CodedResNeXt.Evaluation;
using System.Collections.Concurrent;
using System.Diagnostics;
using CodedResNeXt.Data;
using CodedResNeXt.Decoding;
using CodedResNeXt.Prediction;

namespace CodedResNeXt.Serving;

/// <summary>
/// The one thread that runs a model (its predictor is not thread-safe): requests queue here, and predictions are
/// micro-batched: the first waits up to <see cref="ServingOptions.MaxWait"/> for others, and up to
/// <see cref="ServingOptions.MaxBatch"/> images run in one forward pass. Explanations run one at a time between batches.
/// Stopping finishes every queued request first.
/// </summary>
internal sealed class ModelWorker : IDisposable
{
    private abstract class Work(CancellationToken cancel)
    {
        public CancellationToken Cancel { get; } = cancel;
        public abstract int Images { get; }
        public abstract void Fail(Exception e);
        public abstract void Cancelled();
    }

    private sealed class PredictWork(ImageDataset images, IReadOnlyList<InputImage> sources, CancellationToken cancel) : Work(cancel)
    {
        public ImageDataset ImagesToRun { get; } = images;
        public IReadOnlyList<InputImage> Sources { get; } = sources;
        public TaskCompletionSource<IReadOnlyList<ImagePrediction>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override int Images => Sources.Count;
        public override void Fail(Exception e) => Done.TrySetException(e);
        public override void Cancelled() => Done.TrySetCanceled(Cancel);
    }

    private sealed class ExplainWork(ImageDataset images, IReadOnlyList<InputImage> sources, ExplanationOptions options, CancellationToken cancel) : Work(cancel)
    {
        public ImageDataset ImagesToRun { get; } = images;
        public IReadOnlyList<InputImage> Sources { get; } = sources;
        public ExplanationOptions Options { get; } = options;
        public TaskCompletionSource<IReadOnlyList<ImageExplanation>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override int Images => Sources.Count;
        public override void Fail(Exception e) => Done.TrySetException(e);
        public override void Cancelled() => Done.TrySetCanceled(Cancel);
    }

    private readonly BlockingCollection<Work> _queue = new();
    private readonly PredictionModel _model;
    private readonly EarlyExitCalibration? _earlyExit;
    private readonly ServingOptions _options;
    private readonly Thread _thread;
    private long _batches, _images;

    public ModelWorker(string name, PredictionModel model, EarlyExitCalibration? earlyExit, ServingOptions options)
    {
        _model = model;
        _earlyExit = earlyExit;
        _options = options;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"crx model {name}" };
        _thread.Start();
    }

    /// <summary>Forward passes run so far (a micro-batch is one).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Images predicted or explained so far.</summary>
    public long Images => Interlocked.Read(ref _images);

    public Task<IReadOnlyList<ImagePrediction>> Predict(ImageDataset images, IReadOnlyList<InputImage> sources, CancellationToken cancel)
    {
        var work = new PredictWork(images, sources, cancel);
        Enqueue(work);
        return work.Done.Task.WaitAsync(cancel);
    }

    public Task<IReadOnlyList<ImageExplanation>> Explain(ImageDataset images, IReadOnlyList<InputImage> sources, ExplanationOptions options, CancellationToken cancel)
    {
        var work = new ExplainWork(images, sources, options, cancel);
        Enqueue(work);
        return work.Done.Task.WaitAsync(cancel);
    }

    private void Enqueue(Work work)
    {
        try { _queue.Add(work); }
        catch (InvalidOperationException) { throw new ServerStoppingException(); }
    }

    private Work? Take()
    {
        try { return _queue.Take(); }
        catch (InvalidOperationException) { return null; } // stopped, and nothing is left
    }

    private void Loop()
    {
        Work? pending = null;
        while (true)
        {
            var first = pending ?? Take();
            pending = null;
            if (first is null) return;
            if (first is ExplainWork explain)
            {
                Run(explain);
                continue;
            }
            var batch = new List<PredictWork> { (PredictWork)first };
            int images = first.Images;
            long deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
            while (images < _options.MaxBatch)
            {
                int wait = (int)Math.Ceiling(Math.Max(0, deadline - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
                if (!_queue.TryTake(out var next, wait)) break;
                if (next is not PredictWork more || images + more.Images > _options.MaxBatch)
                {
                    pending = next;
                    break;
                }
                batch.Add(more);
                images += more.Images;
            }
            Run(batch);
        }
    }

    private void Run(List<PredictWork> batch)
    {
        var live = batch.Where(w =>
        {
            if (!w.Cancel.IsCancellationRequested) return true;
            w.Cancelled();
            return false;
        }).ToList();
        if (live.Count == 0) return;
        try
        {
            var (images, sources) = Concatenate(live);
            var predictions = _earlyExit is null
                ? _model.Predict(images, sources, sources.Count)
                : _model.PredictEarlyExit(images, sources, _earlyExit, sources.Count, onlyWhenFaster: false);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _images, sources.Count);
            int at = 0;
            foreach (var w in live)
            {
                w.Done.TrySetResult(predictions.Skip(at).Take(w.Images).ToList());
                at += w.Images;
            }
        }
        catch (Exception e)
        {
            foreach (var w in live) w.Fail(e);
        }
    }

    private void Run(ExplainWork work)
    {
        if (work.Cancel.IsCancellationRequested)
        {
            work.Cancelled();
            return;
        }
        try
        {
            var explanations = work.Sources.Select((source, i) => _model.Explain(work.ImagesToRun, i, source, work.Options)).ToList();
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _images, explanations.Count);
            work.Done.TrySetResult(explanations);
        }
        catch (Exception e)
        {
            work.Fail(e);
        }
    }

    // The requests' images as one dataset, in order.
    private static (ImageDataset Images, IReadOnlyList<InputImage> Sources) Concatenate(List<PredictWork> work)
    {
        if (work.Count == 1) return (work[0].ImagesToRun, work[0].Sources);
        var first = work[0].ImagesToRun;
        var pixels = new byte[work.Sum(w => (long)w.ImagesToRun.Count * first.ImageBytes)];
        long at = 0;
        foreach (var w in work)
        {
            w.ImagesToRun.Pixels.Span.CopyTo(pixels.AsSpan((int)at));
            at += w.ImagesToRun.Pixels.Length;
        }
        var sources = work.SelectMany(w => w.Sources).ToList();
        return (new ImageDataset("requests", pixels, new int[sources.Count], first.ClassNames, first.Channels, first.Height, first.Width), sources);
    }

    /// <summary>Takes no more requests, finishes those queued, and stops the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }
}

/// <summary>A request that arrived after the server began to stop (answered 503).</summary>
internal sealed class ServerStoppingException() : Exception("the server is stopping");
