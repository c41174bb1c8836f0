using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Model;

/// <summary>Projection shortcut: 1x1 conv with the block's stride, then BN. Submodules "conv" and "bn".</summary>
internal sealed class Shortcut : Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv")] private readonly Conv2d _conv;
    [ComponentName(Name = "bn")] private readonly BatchNorm2d _bn;
    private readonly int _stride;

    /// <summary>A 1x1 conv from <paramref name="inChannels"/> to <paramref name="outChannels"/> with stride <paramref name="stride"/>, then BN (momentum 0.1).</summary>
    public Shortcut(int inChannels, int outChannels, int stride) : base("shortcut")
    {
        _conv = Conv2d(inChannels, outChannels, 1, stride: stride, bias: false);
        _bn = BatchNorm2d(outChannels, momentum: 0.1);
        _stride = stride;
        RegisterComponents();
    }

    /// <summary>The block input [B, C_in, H, W] projected to [B, C_out, H', W'] (H' = ceil(H / stride)), the shape of the block's output.</summary>
    public override Tensor forward(Tensor x) => ConvBatchNorm.Apply(_conv, _bn, x, _stride);
}
