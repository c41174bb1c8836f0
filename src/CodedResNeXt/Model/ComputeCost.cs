namespace CodedResNeXt.Model;

/// <summary>
/// Multiply-accumulates of one image's forward pass, from the architecture alone: the convolutions and the classifier
/// (BN, ReLU, pooling and the energy terms are elementwise and under 2 % of the total for the presets). Used to say
/// what fraction of the network an early exit computed.
/// </summary>
/// <param name="Stem">MACs of the stem's convolution</param>
/// <param name="Blocks">MACs of each block, in order (shortcut included)</param>
/// <param name="Head">MACs of the linear classifier</param>
internal sealed record ComputeCost(long Stem, IReadOnlyList<long> Blocks, long Head)
{
    /// <summary>MACs of the whole forward pass of one image.</summary>
    public long Total => Stem + Blocks.Sum() + Head;

    /// <summary>Stem plus blocks 0..<paramref name="lastBlock"/>: what a sample leaving after that block cost.</summary>
    public long Through(int lastBlock) => Stem + Blocks.Take(lastBlock + 1).Sum();

    /// <summary>The MACs of one <see cref="ArchitectureSpec.ImageSize"/> image through <paramref name="architecture"/>, per segment.</summary>
    public static ComputeCost Of(ArchitectureSpec architecture)
    {
        var stem = architecture.Stem;
        int convSide = (architecture.ImageSize + 2 * (stem.Kernel / 2) - stem.Kernel) / stem.Stride + 1;
        long stemMacs = (long)stem.InChannels * stem.OutChannels * stem.Kernel * stem.Kernel * convSide * convSide;
        int side = stem.OutputSize(architecture.ImageSize);
        var blocks = new List<long>();
        foreach (var b in architecture.Blocks)
        {
            int outSide = (side + 2 - 3) / b.Stride + 1;
            long reduce = (long)b.InChannels * b.Width * side * side;
            long grouped = (long)b.Width * b.BottleneckWidth * 9 * outSide * outSide;
            long expand = (long)b.Width * b.OutChannels * outSide * outSide;
            long shortcut = b.HasProjectionShortcut ? (long)b.InChannels * b.OutChannels * outSide * outSide : 0;
            blocks.Add(reduce + grouped + expand + shortcut);
            side = outSide;
        }
        return new ComputeCost(stemMacs, blocks, (long)architecture.Features * architecture.Outputs);
    }
}
