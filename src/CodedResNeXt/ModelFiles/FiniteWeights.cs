using TorchSharp;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// Whether a network's weights are ones training can produce: all finite, and every batch normalization's running
/// variance at least 0 (a running average of variances; a negative one makes the square root of BN NaN, and every
/// prediction with it). A model file with a NaN or infinity in it comes from a run that diverged, one with a negative
/// variance from no run at all: loading and importing refuse both, and the trainer never writes either.
/// </summary>
internal static class FiniteWeights
{
    /// <summary>The name of the first floating-point tensor of the state dict with a NaN or infinity, or null.</summary>
    /// <param name="network">the module whose state dict is checked</param>
    public static string? FirstNonFinite(torch.nn.Module network)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, tensor) in network.state_dict())
            if (tensor.is_floating_point() && !torch.isfinite(tensor).all().item<bool>())
                return name;
        return null;
    }

    /// <summary>The name of the first BN running variance of the state dict with a negative value, or null.</summary>
    /// <param name="network">the module whose state dict is checked</param>
    public static string? FirstNegativeVariance(torch.nn.Module network)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, tensor) in network.state_dict())
            if (name.EndsWith("running_var", StringComparison.Ordinal) && tensor.lt(0).any().item<bool>())
                return name;
        return null;
    }

    /// <summary>Refuses a loaded or imported model whose weights training cannot have produced, naming <paramref name="path"/>.</summary>
    /// <param name="network">the loaded module</param>
    /// <param name="path">the file it came from</param>
    public static void Require(torch.nn.Module network, string path)
    {
        if (FirstNonFinite(network) is { } name)
            throw InvalidInputException.ForFile(path, $"tensor {name} holds non-finite values (NaN or infinity); the model it saved had diverged");
        if (FirstNegativeVariance(network) is { } variance)
            throw InvalidInputException.ForFile(path, $"tensor {variance} holds negative variances, which no training produces (batch normalization would compute NaN)");
    }
}
