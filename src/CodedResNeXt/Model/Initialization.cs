using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// The released code's initialization (docs/method.md#the-block): Kaiming normal (fan_out, ReLU gain) for every conv,
/// PyTorch's default for the bias-free classifier, and gamma 0 in every block's last BN. Random draws come from
/// one generator, so a run seeded with its own generator is reproducible whatever else uses torch's global one.
/// A coded block's conv_expand is drawn as the released code's grouped [N*C_out, d, 1, 1] weight would be
/// (fan_out N*C_out), although we hold it dense as [C_out, N*d, 1, 1]; uncoded blocks are dense on both sides.
/// (Tensor.normal_/uniform_ rather than nn.init's: in TorchSharp 0.107 nn.init.normal_ ignores its generator.)
/// </summary>
internal static class Initialization
{
    public static void Apply(nn.Module network, Generator? generator)
    {
        using var _ = no_grad();
        var codedExpands = network.named_modules()
            .Where(m => m.module is ResNeXtBlock block && block.Spec.IsCoded)
            .ToDictionary(m => $"{m.name}.conv_expand", m => ((ResNeXtBlock)m.module).Spec.SubNNs);
        foreach (var (name, module) in network.named_modules())
        {
            if (module is Conv2d conv)
                KaimingFanOut(conv.weight!, codedExpands.GetValueOrDefault(name, 1), generator);
            else if (module is Linear linear) LinearDefault(linear.weight!, generator);
        }
    }

    /// <summary>Gamma 0: the block starts as its shortcut.</summary>
    public static void ZeroGamma(BatchNorm2d bn)
    {
        using var _ = no_grad();
        bn.weight!.zero_();
    }

    // PyTorch's fan_out of a conv weight [out, in/groups, kh, kw] is out * kh * kw; ReLU gain sqrt(2).
    // groupsOfTheReleasedLayout: the N by which the released code's grouped layout multiplies "out".
    private static void KaimingFanOut(Tensor weight, int groupsOfTheReleasedLayout, Generator? generator)
    {
        long fanOut = groupsOfTheReleasedLayout * weight.shape[0] * weight.shape[2] * weight.shape[3];
        weight.normal_(0, Math.Sqrt(2.0 / fanOut), generator);
    }

    // PyTorch's Linear default, kaiming_uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    private static void LinearDefault(Tensor weight, Generator? generator)
    {
        double bound = 1 / Math.Sqrt(weight.shape[1]);
        weight.uniform_(-bound, bound, generator);
    }
}
