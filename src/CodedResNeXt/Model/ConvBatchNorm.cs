using CodedResNeXt.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// A bias-free convolution followed by batch norm. In training mode, the two modules as they are. In eval mode BN is a
/// fixed affine map per channel, y = x * s + t with s = gamma / sqrt(running_var + eps) and t = beta - running_mean * s,
/// so it folds into the convolution: one conv with weights W * s and bias t, one pass over the activation instead of
/// two (PyTorch's fuse_conv_bn_eval, applied on the fly from the current parameters, so nothing goes stale).
/// Both compute in <see cref="Autocast"/>'s precision.
/// </summary>
internal static class ConvBatchNorm
{
    public static Tensor Apply(Conv2d conv, BatchNorm2d bn, Tensor x, long stride = 1, long padding = 0, long groups = 1)
    {
        if (bn.training) return bn.call(Convolve(x, conv.weight!, null, stride, padding, groups));
        using var scope = NewDisposeScope();
        var scale = bn.weight! * (bn.running_var! + bn.eps).rsqrt();
        var shift = bn.bias! - bn.running_mean! * scale;
        var weight = conv.weight! * scale.reshape(-1, 1, 1, 1);
        return Convolve(x, weight, shift, stride, padding, groups).MoveToOuterDisposeScope();
    }

    /// <summary>A bias-free (or folded) convolution in the current <see cref="Autocast"/> precision.</summary>
    public static Tensor Convolve(Tensor x, Tensor weight, Tensor? bias, long stride = 1, long padding = 0, long groups = 1) =>
        nn.functional.conv2d(Autocast.ForConvolution(x), Autocast.ForConvolution(weight), bias is null ? null : Autocast.ForConvolution(bias),
            strides: [stride], padding: [padding], groups: groups);
}
