using CodedResNeXt.CodingSchemes;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>A coded block of a network: its index among all blocks, its spec, its coding scheme and codewords.</summary>
/// <param name="BlockIndex">the block's index among all blocks</param>
/// <param name="Block">the block module</param>
internal sealed record CodedBlock(int BlockIndex, ResNeXtBlock Block)
{
    /// <summary>The block's spec: channels, N, d, stride, scheme name, p_drop.</summary>
    public BlockSpec Spec => Block.Spec;
    /// <summary>The block's coding scheme: a codeword per class over the original subNNs.</summary>
    public CodingScheme Scheme => Block.Scheme!;
    /// <summary>[K, N] 0/1 codewords restricted to the block's subNNs, on the network's device (<see cref="ResNeXtBlock.Codewords"/>).</summary>
    public Tensor Codewords => Block.Codewords!;
}
