namespace CodedResNeXt.Model;

/// <summary>
/// The stem (docs/method.md#architectures): conv k x k with padding k/2 and the given stride, BN, ReLU, then optionally
/// a 3x3 max pool with stride 2 and padding 1 (the ImageNet stem).
/// </summary>
/// <param name="InChannels">channels of the input images</param>
/// <param name="OutChannels">channels of the stem's output, the input of block 0</param>
/// <param name="Kernel">the conv's kernel side, odd</param>
/// <param name="Stride">the conv's stride</param>
/// <param name="MaxPool">whether the 3x3 stride-2 max pool follows</param>
public sealed record StemSpec(int InChannels, int OutChannels, int Kernel, int Stride, bool MaxPool)
{
    /// <summary>Conv weight (no bias) plus the BN's gamma and beta.</summary>
    public long ParameterCount => (long)InChannels * OutChannels * Kernel * Kernel + 2L * OutChannels;

    /// <summary>Side of the stem's output for a square input of side <paramref name="imageSize"/>.</summary>
    public int OutputSize(int imageSize)
    {
        int size = (imageSize + 2 * (Kernel / 2) - Kernel) / Stride + 1;
        return MaxPool ? (size + 2 - 3) / 2 + 1 : size;
    }
}
