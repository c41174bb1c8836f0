using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Model;

/// <summary>Stem: conv, BN, ReLU, optional 3x3/2 max pool. Submodules "conv" and "bn".</summary>
internal sealed class Stem : Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv")] private readonly Conv2d _conv;
    [ComponentName(Name = "bn")] private readonly BatchNorm2d _bn;
    private readonly StemSpec _spec;

    /// <summary>A stem of <paramref name="spec"/>: conv with padding kernel/2, no bias, then BN (momentum 0.1).</summary>
    public Stem(StemSpec spec) : base("stem")
    {
        _conv = Conv2d(spec.InChannels, spec.OutChannels, spec.Kernel, stride: spec.Stride, padding: spec.Kernel / 2, bias: false);
        _bn = BatchNorm2d(spec.OutChannels, momentum: 0.1);
        _spec = spec;
        RegisterComponents();
    }

    /// <summary>Images [B, C, H, W] to the input of block 0: conv, BN, ReLU, and the max pool if the spec has one.</summary>
    public override Tensor forward(Tensor x)
    {
        // In place: BN's backward does not need its output.
        var y = ConvBatchNorm.Apply(_conv, _bn, x, _spec.Stride, _spec.Kernel / 2).relu_();
        return _spec.MaxPool ? functional.max_pool2d(y, 3, stride: 2, padding: 1) : y;
    }
}
