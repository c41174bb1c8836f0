using System.Text.Json.Serialization;

namespace CodedResNeXt.Model;

/// <summary>
/// One ResNeXt block [C_out, d, N_act/N] (docs/method.md#the-block). <see cref="Scheme"/> names the coding scheme of
/// a coded block (N_act &lt; N); null means an uncoded N/N block.
/// A block extracted for a subset of classes (<see cref="ArchitectureSpec.KeepPathsOf"/>) keeps only the
/// subNNs listed in <see cref="KeptSubNNs"/> (indices into the original block), and still divides the
/// energy sum by the original N (<see cref="EnergyNormalizationSubNNs"/>), so its kept subNNs compute
/// exactly what they computed inside the full network.
/// </summary>
/// <param name="Stage">the stage's name, e.g. "c3"; the blocks of a stage share it</param>
/// <param name="InChannels">C_in, channels of the block's input</param>
/// <param name="OutChannels">C_out, channels of its output</param>
/// <param name="BottleneckWidth">d, the channels of each subNN</param>
/// <param name="SubNNs">N, the subNNs the block holds (for a partial block, the kept ones)</param>
/// <param name="Stride">1 or 2: the stride of the grouped 3x3 conv and of the shortcut</param>
/// <param name="Scheme">the name of the coding scheme; null for an uncoded block</param>
/// <param name="PDrop">dropSubNNs probability in [0, 1); 0 for an uncoded block</param>
/// <param name="EnergyNormalizationSubNNs">partial blocks: the original N, which divides the energy sum; null: <paramref name="SubNNs"/></param>
/// <param name="KeptSubNNs">partial blocks: the original indices of the kept subNNs, ascending; null: all</param>
public sealed record BlockSpec(
    string Stage,
    int InChannels,
    int OutChannels,
    int BottleneckWidth,
    [property: JsonPropertyName("subnns")] int SubNNs,
    int Stride,
    string? Scheme = null,
    double PDrop = 0,
    [property: JsonPropertyName("energy_normalization_subnns")] int? EnergyNormalizationSubNNs = null,
    [property: JsonPropertyName("kept_subnns")] IReadOnlyList<int>? KeptSubNNs = null)
{
    /// <summary>Whether the block has a coding scheme (N_act &lt; N) and so an early decoder and a coding loss.</summary>
    [JsonIgnore] public bool IsCoded => Scheme is not null;

    /// <summary>An extracted block that lacks some of the original subNNs.</summary>
    [JsonIgnore] public bool IsPartial => KeptSubNNs is not null;

    /// <summary>The N that divides the energy sum in the normalization.</summary>
    [JsonIgnore] public int NormalizationSubNNs => EnergyNormalizationSubNNs ?? SubNNs;

    /// <summary>N*d, the bottleneck channels.</summary>
    [JsonIgnore] public int Width => SubNNs * BottleneckWidth;

    /// <summary>Whether the shortcut is a 1x1 conv and BN (stride or channels change) rather than the identity.</summary>
    [JsonIgnore] public bool HasProjectionShortcut => Stride != 1 || InChannels != OutChannels;

    /// <summary>Original index of each subNN this block holds (0..N-1 for a complete block).</summary>
    [JsonIgnore] public IReadOnlyList<int> OriginalSubNNs => KeptSubNNs ?? Enumerable.Range(0, SubNNs).ToArray();

    /// <summary>Parameters of the residual branch: 1x1 reduce, grouped 3x3, 1x1 expand, three BNs.</summary>
    [JsonIgnore]
    public long BranchParameterCount =>
        (long)InChannels * Width + 2L * Width        // conv_reduce, bn_reduce
        + (long)Width * BottleneckWidth * 9 + 2L * Width // conv_conv (groups N), bn
        + (long)Width * OutChannels + 2L * OutChannels;  // conv_expand, bn_expand

    /// <summary>Parameters of the projection shortcut (0 for identity).</summary>
    [JsonIgnore]
    public long ShortcutParameterCount => HasProjectionShortcut ? (long)InChannels * OutChannels + 2L * OutChannels : 0;

    /// <summary>Learnable parameters of the whole block: residual branch and shortcut.</summary>
    [JsonIgnore] public long ParameterCount => BranchParameterCount + ShortcutParameterCount;
}
