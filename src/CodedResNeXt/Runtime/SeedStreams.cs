namespace CodedResNeXt.Runtime;

/// <summary>
/// Every random stream of a run derives its own seed from the run's: an epoch's shuffle, an image's augmentation, an
/// analysis's sampling. So streams are independent of each other and of the order work is done in, and reproducible.
/// </summary>
internal static class SeedStreams
{
    /// <summary>A well-mixed non-negative 31-bit seed from (seed, stream, index) (SplitMix64 finalizer).</summary>
    /// <param name="seed">the run's seed</param>
    /// <param name="stream">the stream: an epoch, or a constant naming one use</param>
    /// <param name="index">an index within the stream (an image, a class), or -1 for none</param>
    public static int Mix(int seed, int stream, long index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        z ^= (ulong)(uint)stream * 0xBF58476D1CE4E5B9UL + 0x632BE59BD9B4E019UL;
        z ^= (ulong)index * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
