using System.Runtime;

namespace CodedResNeXt.Data.Loading;

/// <summary>
/// Keeps the garbage collector from running while the consumer of a batch works, so that loader threads
/// allocating beside TorchSharp cannot start a collection in the middle of one of its native calls.
/// TorchSharp 0.107 does not keep the temporary Scalars it makes alive across those calls (its own operators,
/// SGD's momentum and BatchNorm's factors make them); a collection mid-call can finalize one in use, and we saw a
/// BatchNorm step fail with a garbage alpha. A no-GC region makes that impossible as long as the whole process
/// allocates less than its budget before the consumer asks for the next batch; it starts with one blocking
/// collection, made here on the consumer's thread at a point where no native call is under way.
/// The Scalars cannot be disposed at their source from here: TorchSharp's own SGD step (momentum, weight decay, the
/// learning rate as alpha) and BatchNorm make them. The pause's cost was measured on fashion-tiny, where it weighs most
/// (one-epoch `crx train` runs with and without it, alternated, 2 Dec 2026): no difference outside the runs' own
/// spread (docs/performance.md#where-it-stands-2-dec-2026), so it stays.
/// </summary>
internal sealed class CollectionPause : IDisposable
{
    // Loader threads allocate little per sample (codec and bitmap wrappers, a Random): the batch arrays are
    // allocated by the consumer, outside the region. A training step itself allocates well under a megabyte.
    private const long Budget = 64L << 20;

    private bool _active;

    private CollectionPause(bool active) => _active = active;

    /// <summary>Starts a pause unless one is already in force (a loader consumed inside another's step).</summary>
    public static CollectionPause Begin()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new CollectionPause(false);
        // A runtime whose GC cannot reserve the budget (or is already in a region) leaves us without the pause.
        try { return new CollectionPause(GC.TryStartNoGCRegion(Budget)); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException) { return new CollectionPause(false); }
    }

    public void Dispose()
    {
        if (!_active) return;
        _active = false;
        // Over budget, the runtime has already collected and left the region; ending it then would throw.
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
        try { GC.EndNoGCRegion(); }
        catch (InvalidOperationException) { }
    }
}
