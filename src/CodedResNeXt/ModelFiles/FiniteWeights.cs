using TorchSharp;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// Whether a network's weights are all finite. A model file with a NaN or infinity in it comes from a run that
/// diverged: loading refuses it, and the trainer never writes one.
/// </summary>
public static class FiniteWeights
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

    /// <summary>Refuses a loaded model whose weights are not all finite, naming <paramref name="path"/>.</summary>
    /// <param name="network">the loaded module</param>
    /// <param name="path">the model file it came from</param>
    public static void Require(torch.nn.Module network, string path)
    {
        if (FirstNonFinite(network) is { } name)
            throw InvalidInputException.ForFile(path, $"tensor {name} holds non-finite values (NaN or infinity); the model it saved had diverged");
    }
}
