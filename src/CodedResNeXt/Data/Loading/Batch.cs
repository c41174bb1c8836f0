using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Data.Loading;

/// <summary>
/// One prepared batch in host memory: normalized images [Count, Channels, Height, Width] and labels.
/// Tensors are made by <see cref="ToTensors"/> on the caller's thread, so they belong to the caller's
/// dispose scope (open one per step, then call ToTensors inside it).
/// </summary>
/// <param name="images">normalized floats, [labels.Length, channels, height, width]</param>
/// <param name="labels">the class of each sample</param>
/// <param name="indices">the dataset index of each sample</param>
/// <param name="channels">channels of every sample</param>
/// <param name="height">height of every sample, in pixels</param>
/// <param name="width">width of every sample, in pixels</param>
internal sealed class Batch(float[] images, long[] labels, int[] indices, int channels, int height, int width)
{
    /// <summary>Samples in the batch (the last batch of an epoch may be smaller).</summary>
    public int Count => labels.Length;
    /// <summary>Channels of every sample.</summary>
    public int Channels { get; } = channels;
    /// <summary>Height of every sample, in pixels.</summary>
    public int Height { get; } = height;
    /// <summary>Width of every sample, in pixels.</summary>
    public int Width { get; } = width;
    /// <summary>Normalized floats, [Count, Channels, Height, Width].</summary>
    public ReadOnlySpan<float> Images => images;
    /// <summary>The class of each sample, in batch order.</summary>
    public ReadOnlySpan<long> Labels => labels;
    /// <summary>The dataset index of each sample, in batch order.</summary>
    public IReadOnlyList<int> Indices => indices;

    /// <summary>A float tensor [Count, C, H, W] and an int64 tensor [Count], copied from the host arrays.</summary>
    public (Tensor Images, Tensor Labels) ToTensors(Device? device = null) =>
        (torch.tensor(images, [Count, Channels, Height, Width], device: device),
         torch.tensor(labels, [Count], device: device));
}
