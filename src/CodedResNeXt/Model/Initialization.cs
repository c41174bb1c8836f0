using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>The released code's initialization (SPEC section 2).</summary>
internal static class Initialization
{
    /// <summary>Kaiming normal, fan_out mode, ReLU gain.</summary>
    public static void KaimingFanOut(Conv2d conv)
    {
        using var _ = no_grad();
        nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
    }

    /// <summary>Gamma 0: the block starts as its shortcut.</summary>
    public static void ZeroGamma(BatchNorm2d bn)
    {
        using var _ = no_grad();
        bn.weight!.zero_();
    }
}
