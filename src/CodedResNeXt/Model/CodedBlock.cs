using CodedResNeXt.CodingSchemes;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>A coded block of a network: its index among all blocks, its spec, its coding scheme and codewords.</summary>
public sealed record CodedBlock(int BlockIndex, ResNeXtBlock Block)
{
    public BlockSpec Spec => Block.Spec;
    public CodingScheme Scheme => Block.Scheme!;
    /// <summary>[K, N] 0/1 codewords restricted to the block's subNNs, on the network's device (<see cref="ResNeXtBlock.Codewords"/>).</summary>
    public Tensor Codewords => Block.Codewords!;
}
