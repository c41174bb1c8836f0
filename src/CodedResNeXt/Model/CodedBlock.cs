using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Model;

/// <summary>A coded block of a network: its index among all blocks, its spec and its coding scheme.</summary>
public sealed record CodedBlock(int BlockIndex, BlockSpec Spec, CodingScheme Scheme);
