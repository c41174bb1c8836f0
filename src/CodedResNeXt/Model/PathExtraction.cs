using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Model;

/// <summary>
/// Cuts a trained network down to the paths of some classes (docs/method.md#what-a-trained-network-gives-you, binary classifier): a new,
/// smaller network built from <see cref="ArchitectureSpec.KeepPathsOf"/> whose weights are the kept slices
/// of the original's. Without retraining it computes exactly the original's logits of those classes with
/// the other subNNs removed (<see cref="SubNNRemoval.KeepOnlyPathsOf"/>).
/// </summary>
internal static class PathExtraction
{
    // Tensors of a partial block indexed by bottleneck channel: along dim 0, except conv_expand (dim 1).
    private static readonly string[] BottleneckRows =
    [
        "conv_reduce.weight", "bn_reduce.weight", "bn_reduce.bias", "bn_reduce.running_mean", "bn_reduce.running_var",
        "conv_conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
    ];

    /// <summary>
    /// A new network that keeps, in every coded block, only the subNNs on the codewords of <paramref name="classes"/>, and
    /// only their rows of the classifier; its weights are copied from <paramref name="network"/>, which is not changed.
    /// It is on the same device and in the same mode as <paramref name="network"/>; the caller owns it.
    /// </summary>
    /// <param name="network">a trained network</param>
    /// <param name="classes">the classes to keep (indices among all K), in the order of the new network's outputs</param>
    public static CodedResNeXtNetwork ExtractPathsOf(CodedResNeXtNetwork network, IReadOnlyList<int> classes)
    {
        var source = network.Architecture;
        var target = source.KeepPathsOf(classes, network.Schemes);
        var extracted = new CodedResNeXtNetwork(target, network.Schemes, network.Implementation);

        using var scope = NewDisposeScope();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        for (int i = 0; i < target.Blocks.Count; i++)
        {
            var (from, to) = (source.Blocks[i], target.Blocks[i]);
            if (!to.IsPartial) continue;
            var channels = tensor(Channels(from, to), ScalarType.Int64, device: network.Device);
            string prefix = $"blocks.{i}.";
            foreach (var name in BottleneckRows) weights[prefix + name] = weights[prefix + name].index_select(0, channels);
            weights[prefix + "conv_expand.weight"] = weights[prefix + "conv_expand.weight"].index_select(1, channels);
        }
        var sourceClasses = source.OutputClasses;
        var rows = tensor(classes.Select(k => (long)sourceClasses.ToList().IndexOf(k)).ToArray(), device: network.Device);
        weights["classifier.weight"] = weights["classifier.weight"].index_select(0, rows);

        using (no_grad())
            foreach (var (name, t) in extracted.state_dict()) t.copy_(weights[name]);
        extracted.to(network.Device);
        extracted.train(network.training);
        return extracted;
    }

    /// <summary>Bottleneck channels of <paramref name="from"/> that the kept subNNs of <paramref name="to"/> own.</summary>
    private static long[] Channels(BlockSpec from, BlockSpec to)
    {
        var position = from.OriginalSubNNs.Select((original, local) => (original, local)).ToDictionary(p => p.original, p => p.local);
        long d = from.BottleneckWidth;
        return to.KeptSubNNs!.SelectMany(n => Enumerable.Range(0, (int)d).Select(c => position[n] * d + c)).ToArray();
    }
}
