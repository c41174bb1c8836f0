using CodedResNeXt.Prediction;

namespace CodedResNeXt.Serving;

/// <summary>How the endpoints batch and what they accept; every limit answers a request that passes it with a 4xx or a 503, never a crash.</summary>
public sealed record ServingOptions
{
    /// <summary>The most images one forward pass runs: concurrent requests to a model are gathered up to this many (1: no micro-batching).</summary>
    public int MaxBatch { get; init; } = 32;
    /// <summary>How long the first request of a batch waits for others to join it (zero: a batch is what is already queued).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>The largest request body, in bytes; a larger one is answered 413.</summary>
    public long MaxBodyBytes { get; init; } = 16L << 20;
    /// <summary>The most images one multipart request may carry; more is answered 413.</summary>
    public int MaxImagesPerRequest { get; init; } = 64;
    /// <summary>The most pixels an image may declare (<see cref="PredictionModel.DefaultMaxImagePixels"/>); more is answered 400 before decoding.</summary>
    public long MaxImagePixels { get; init; } = PredictionModel.DefaultMaxImagePixels;
    /// <summary>The most predict and explain requests in flight at once, over all models; one more is answered 503 at once.</summary>
    public int MaxConcurrentRequests { get; init; } = 64;
    /// <summary>The longest a request may take, body upload included: a body still arriving is answered 408, a request still queued 503.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Refuses a limit that cannot hold (an <see cref="InvalidInputException"/> naming the setting).</summary>
    public ServingOptions Validated()
    {
        static void Require(bool ok, string name, string what)
        {
            if (!ok) throw InvalidInputException.ForOption(name, what);
        }
        Require(MaxBatch >= 1, nameof(MaxBatch), $"{MaxBatch} must be at least 1");
        Require(MaxWait >= TimeSpan.Zero && MaxWait <= TimeSpan.FromSeconds(10), nameof(MaxWait), $"{MaxWait.TotalMilliseconds} ms must be from 0 to 10000");
        Require(MaxBodyBytes >= 1, nameof(MaxBodyBytes), $"{MaxBodyBytes} must be at least 1");
        Require(MaxImagesPerRequest >= 1, nameof(MaxImagesPerRequest), $"{MaxImagesPerRequest} must be at least 1");
        Require(MaxImagePixels >= 1, nameof(MaxImagePixels), $"{MaxImagePixels} must be at least 1");
        Require(MaxConcurrentRequests >= 1, nameof(MaxConcurrentRequests), $"{MaxConcurrentRequests} must be at least 1");
        Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), $"{RequestTimeout.TotalSeconds} s must be positive");
        return this;
    }
}
