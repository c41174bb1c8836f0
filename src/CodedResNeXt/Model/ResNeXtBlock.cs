using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Runtime;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Model;

/// <summary>
/// A ResNeXt block, coded or not (docs/method.md#the-block). Submodules (PyTorch names): conv_reduce, bn_reduce,
/// conv_conv (grouped 3x3), bn, conv_expand, bn_expand (the "last BN"), and shortcut.conv / shortcut.bn
/// for a projection shortcut. conv_expand is ONE dense 1x1 conv [C_out, N*d, 1, 1] in both kinds of
/// block: subNN n owns its input channels n*d..(n+1)*d, so a coded block and its uncoded control have
/// the same parameters and state_dict names.
/// </summary>
internal sealed class ResNeXtBlock : Module<BlockInput, BlockOutput>
{
    // TorchSharp registers the Module fields under these names (RegisterComponents).
    [ComponentName(Name = "conv_reduce")] private readonly Conv2d _convReduce;
    [ComponentName(Name = "bn_reduce")] private readonly BatchNorm2d _bnReduce;
    [ComponentName(Name = "conv_conv")] private readonly Conv2d _convConv;
    [ComponentName(Name = "bn")] private readonly BatchNorm2d _bn;
    [ComponentName(Name = "conv_expand")] private readonly Conv2d _convExpand;
    [ComponentName(Name = "bn_expand")] private readonly BatchNorm2d _bnExpand;
    [ComponentName(Name = "shortcut")] private readonly Shortcut? _shortcut;

    /// <summary>Builds a block of <paramref name="spec"/> whose last BN starts with scale 0, so the block starts as its shortcut (the network's constructor draws the convolutions' weights).</summary>
    /// <param name="spec">the block's structure</param>
    /// <param name="scheme">the coding scheme of a coded block; null for an uncoded one (anything else is an <see cref="ArgumentException"/>)</param>
    /// <param name="implementation">how a coded block computes: fused (default) or materializing</param>
    public ResNeXtBlock(BlockSpec spec, CodingScheme? scheme, BlockImplementation implementation = BlockImplementation.Fused)
        : base("ResNeXtBlock")
    {
        if (spec.IsCoded != scheme is not null)
            throw new ArgumentException($"block {spec.Stage}: a coded block needs its scheme, an uncoded one has none");
        Spec = spec;
        Scheme = scheme;
        Implementation = implementation;

        int width = spec.Width;
        _convReduce = Conv2d(spec.InChannels, width, 1, bias: false);
        _bnReduce = BatchNorm2d(width, momentum: 0.1);
        _convConv = Conv2d(width, width, 3, stride: spec.Stride, padding: 1, groups: spec.SubNNs, bias: false);
        _bn = BatchNorm2d(width, momentum: 0.1);
        _convExpand = Conv2d(width, spec.OutChannels, 1, bias: false);
        _bnExpand = BatchNorm2d(spec.OutChannels, momentum: 0.1);
        if (spec.HasProjectionShortcut) _shortcut = new Shortcut(spec.InChannels, spec.OutChannels, spec.Stride);
        RegisterComponents();
        Initialization.ZeroGamma(_bnExpand);

        if (scheme is not null)
            _codewordDigits = scheme.CodewordMatrix(spec.OriginalSubNNs).Select(active => active ? 1f : 0f).ToArray();
    }

    // Every class's codeword restricted to this block's subNNs, K x N digits 0/1, kept on the host; the tensor is
    // made once per device the block lives on. Not a tensor field or buffer: those would enter the state_dict, whose
    // names and tensors are exactly PyTorch's, and TorchSharp's to(device) leaves non-persistent buffers behind.
    private readonly float[]? _codewordDigits;
    private (Device Device, Tensor Matrix)? _codewords;

    /// <summary>The block's structure: channels, N, d, stride, scheme name, p_drop.</summary>
    public BlockSpec Spec { get; }
    /// <summary>The coding scheme of a coded block; null for an uncoded one.</summary>
    public CodingScheme? Scheme { get; }
    /// <summary>Fused or materializing coded-block computation; can be switched at any time, the weights are the same.</summary>
    public BlockImplementation Implementation { get; set; }

    /// <summary>
    /// Coded blocks: every class's codeword restricted to this block's subNNs, [K, N] of 0/1 floats, on the block's
    /// device. The targets of the coding loss and the codebook of the early decoder. Null for an uncoded block.
    /// </summary>
    public Tensor? Codewords
    {
        get
        {
            if (_codewordDigits is null) return null;
            var device = _convExpand.weight!.device;
            if (_codewords is not { } cached || cached.Device.type != device.type || cached.Device.index != device.index)
            {
                _codewords?.Matrix.Dispose();
                // Outlives whatever dispose scope the first caller has open.
                var matrix = tensor(_codewordDigits, [Scheme!.Classes, Spec.SubNNs], device: device).DetachFromDisposeScope();
                _codewords = (device, matrix);
            }
            return _codewords.Value.Matrix;
        }
    }

    /// <summary>ReLU(BN(sum of the subNN outputs) + shortcut), with the input's drop mask and removed subNNs applied; a coded block also returns its energies.</summary>
    public override BlockOutput forward(BlockInput input)
    {
        var x = input.Input;
        // In place: BN's backward needs its input, not its output, so ReLU may overwrite the BN output (as torchvision's
        // ResNets do); that saves a full-size activation per ReLU.
        // In eval mode each conv and its BN run as one folded conv (ConvBatchNorm).
        var h = ConvBatchNorm.Apply(_convReduce, _bnReduce, x).relu_();
        h = ConvBatchNorm.Apply(_convConv, _bn, h, Spec.Stride, padding: 1, groups: Spec.SubNNs).relu_();
        var keep = KeepFactors(input.Removed, h.shape[0], h.device);

        Tensor expanded;
        Tensor? energies = null;
        if (!Spec.IsCoded)
            expanded = ConvBatchNorm.Apply(_convExpand, _bnExpand, keep is null ? h : PerSubNN(h, keep));
        else if (Implementation == BlockImplementation.Fused)
        {
            (var scaled, energies) = ScaleFused(h, keep, input.DropMask);
            expanded = ConvBatchNorm.Apply(_convExpand, _bnExpand, scaled);
        }
        else
        {
            (var branch, energies) = ExpandMaterializing(h, keep, input.DropMask);
            expanded = _bnExpand.call(branch);
        }
        var shortcut = _shortcut is null ? x : _shortcut.call(x);
        return new BlockOutput(expanded.add_(shortcut).relu_(), energies);
    }

    /// <summary>
    /// The fused form: energies from Gram matrices, and the bottleneck rescaled per subNN, ready for one dense 1x1 conv
    /// (conv_expand; the caller applies it with bn_expand).
    /// </summary>
    private (Tensor Scaled, Tensor Energies) ScaleFused(Tensor h, Tensor? keep, Tensor? dropMask)
    {
        var energies = EnergyNormalization.FusedEnergies(h, _convExpand.weight!, Spec.SubNNs);
        // E(t_n) is quadratic in h_n alone, so a removed subNN (t_n = 0) simply has zero energy.
        if (keep is not null) energies = energies * keep;
        var mean = EnergyNormalization.MeanEnergy(energies, Spec.NormalizationSubNNs);
        var factors = mean.rsqrt().unsqueeze(1).expand(h.shape[0], Spec.SubNNs);
        if (keep is not null) factors = factors * keep;
        if (dropMask is not null) factors = factors * dropMask;
        return (PerSubNN(h, factors), energies / mean.unsqueeze(1));
    }

    /// <summary>The released code's form: materialize every t_n, normalize, drop, sum. The test oracle.</summary>
    private (Tensor Branch, Tensor Energies) ExpandMaterializing(Tensor h, Tensor? keep, Tensor? dropMask)
    {
        long batch = h.shape[0], n = Spec.SubNNs, d = Spec.BottleneckWidth, cOut = Spec.OutChannels;
        var grouped = _convExpand.weight!.reshape(cOut, n, d).permute(1, 0, 2).reshape(n * cOut, d, 1, 1);
        // Materialized in the compute precision, normalized in float32.
        var t = Autocast.Full(ConvBatchNorm.Convolve(h, grouped, null, groups: n)).reshape(batch, n, cOut, h.shape[2], h.shape[3]);
        if (keep is not null) t = t * keep.reshape(keep.shape[0], n, 1, 1, 1);
        var mean = EnergyNormalization.MeanEnergy(EnergyNormalization.Energies(t), Spec.NormalizationSubNNs);
        var normalized = t / mean.sqrt().reshape(batch, 1, 1, 1, 1);
        var energies = EnergyNormalization.Energies(normalized);
        if (dropMask is not null) normalized = normalized * dropMask.reshape(batch, n, 1, 1, 1);
        return (normalized.sum(1), energies);
    }

    /// <summary>Multiplies subNN n's d bottleneck channels by factors[:, n]; factors is [B or 1, N].</summary>
    private Tensor PerSubNN(Tensor h, Tensor factors)
    {
        long rows = factors.shape[0], n = Spec.SubNNs, d = Spec.BottleneckWidth;
        // One factor per channel, broadcast over the positions: h keeps its memory order and the product runs along the
        // channels (a [B, N, d, H, W] view of a channels-last h would make the inner loop d long).
        // In h's own type: float32 factors would promote a bfloat16 bottleneck to float32.
        var perChannel = factors.to_type(h.dtype).unsqueeze(2).expand(rows, n, d).reshape(rows, n * d, 1, 1);
        return h * perChannel;
    }

    /// <summary>Removal mask (true = removed, [B, N] or [N]) as keep factors 0/1 [B or 1, N].</summary>
    private Tensor? KeepFactors(Tensor? removed, long batch, Device device)
    {
        if (removed is null) return null;
        long last = removed.shape[^1];
        if (last != Spec.SubNNs || removed.dim() > 2 || (removed.dim() == 2 && removed.shape[0] != batch && removed.shape[0] != 1))
            throw new ArgumentException($"block {Spec.Stage}: removal mask of shape [{string.Join(",", removed.shape)}] does not fit [{batch},{Spec.SubNNs}] or [{Spec.SubNNs}]");
        return removed.logical_not().to_type(ScalarType.Float32).reshape(-1, Spec.SubNNs).to(device);
    }
}
