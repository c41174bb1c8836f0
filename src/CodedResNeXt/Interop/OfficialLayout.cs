using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Interop;

/// <summary>
/// The state_dict layout of the authors' released code (avranasa/Coded-ResNeXt): one nn.ModuleList <c>net_list</c>
/// holding the stem's conv, BN and ReLU (and max pool when the stem has one), the blocks, then the pooling and the
/// bias-free linear classifier. Their two code bases differ only in that tail: the CIFAR code (CIFAR/NN_ResNeXt.py,
/// a Lightning module) pools with adaptiveAvgPool then flatten, two modules; the ImageNet code
/// (Imagenet/CodedResNeXt.py, trained with timm on PyTorch-XLA) pools with one avgPoolWithMean module. So the
/// classifier sits two or one places after the last block; an export puts it where the code base that builds such a
/// stem expects it (one place for a max-pool stem, two otherwise), and an import takes either.
/// A block's tensors are, in both code bases, conv_reduce, bn_reduce, conv_internal, bn_internal, conv_expand,
/// bn_expand, skip_connection.conv_skip / bn_skip, and a bool buffer Mask_perClass [K, N] (the codewords; all true in
/// an uncoded block, whose scheme there is "N/N").
/// Ours differ in names (stem.*, blocks.{i}.conv_conv / bn / shortcut.*, classifier) and in one layout: a coded
/// block's conv_expand is their grouped [N*C_out, d, 1, 1] (groups = N in both code bases), whose row n*C_out+o,
/// column j is our dense [C_out, N*d, 1, 1] weight at [o, n*d+j]. Uncoded blocks are dense on both sides. Everything
/// else, BN num_batches_tracked included, is the same tensor under another name.
/// </summary>
internal static class OfficialLayout
{
    private const string MaskName = "Mask_perClass";

    /// <summary>Where the blocks start and where the classifier sits in net_list.</summary>
    /// <param name="FirstBlock">the net_list index of block 0</param>
    /// <param name="Classifier">the net_list index of the linear classifier</param>
    public sealed record Positions(int FirstBlock, int Classifier);

    /// <summary>The modules between the last block and the classifier: the CIFAR code's pool and flatten, or the ImageNet code's mean pool.</summary>
    public enum Tail
    {
        /// <summary>The CIFAR code's adaptive average pool and flatten: two modules.</summary>
        PoolFlatten = 2,
        /// <summary>The ImageNet code's single mean-pool module.</summary>
        MeanPool = 1,
    }

    private enum Conversion { Same, GroupedExpand, Mask }

    /// <summary>One tensor of the released layout; <see cref="Ours"/> is null for Mask_perClass, which we do not store.</summary>
    private sealed record Slot(string Theirs, string? Ours, Conversion Conversion, int Block, long[] Shape, ScalarType DType);

    /// <summary>The tail the code base with this stem uses: the ImageNet code's for a max-pool stem, the CIFAR code's otherwise.</summary>
    public static Tail TailOf(ArchitectureSpec architecture) => architecture.Stem.MaxPool ? Tail.MeanPool : Tail.PoolFlatten;

    /// <summary>Positions in net_list, with the tail <paramref name="tail"/> (by default <see cref="TailOf"/>).</summary>
    public static Positions PositionsOf(ArchitectureSpec architecture, Tail? tail = null)
    {
        int stemModules = architecture.Stem.MaxPool ? 4 : 3; // conv, BN, ReLU [, max pool]
        return new Positions(stemModules, stemModules + architecture.Blocks.Count + (int)(tail ?? TailOf(architecture)));
    }

    /// <summary>The released code's name of one of our state_dict names.</summary>
    public static string TheirName(string ours, ArchitectureSpec architecture, Tail? tail = null)
    {
        var at = PositionsOf(architecture, tail);
        string[] parts = ours.Split('.');
        return parts switch
        {
            ["stem", "conv", var leaf] => $"net_list.0.{leaf}",
            ["stem", "bn", var leaf] => $"net_list.1.{leaf}",
            ["classifier", var leaf] => $"net_list.{at.Classifier}.{leaf}",
            ["blocks", var index, .. var rest] when int.TryParse(index, out int i) =>
                $"net_list.{at.FirstBlock + i}.{BlockPart(rest)}",
            _ => throw new ArgumentException($"'{ours}' is not a tensor name of CodedResNeXtNetwork"),
        };
    }

    private static string BlockPart(string[] rest) => rest switch
    {
        ["conv_conv", var leaf] => $"conv_internal.{leaf}",
        ["bn", var leaf] => $"bn_internal.{leaf}",
        ["shortcut", "conv", var leaf] => $"skip_connection.conv_skip.{leaf}",
        ["shortcut", "bn", var leaf] => $"skip_connection.bn_skip.{leaf}",
        _ => string.Join('.', rest),
    };

    /// <summary>Every tensor of the released layout for <paramref name="network"/>, with its shape and dtype there.</summary>
    private static List<Slot> Slots(CodedResNeXtNetwork network, Tail tail)
    {
        var arch = network.Architecture;
        if (arch.KeptClasses is not null || arch.Blocks.Any(b => b.IsPartial))
            throw new InvalidInputException($"{arch.Name}: an extracted classifier has no counterpart in the released code; use the full network");
        var at = PositionsOf(arch, tail);
        var slots = new List<Slot>();
        foreach (var (name, tensor) in network.state_dict())
        {
            int block = name.StartsWith("blocks.") ? int.Parse(name.Split('.')[1]) : -1;
            bool grouped = block >= 0 && name == $"blocks.{block}.conv_expand.weight" && arch.Blocks[block].IsCoded;
            long[] shape = tensor.shape;
            if (grouped)
            {
                var b = arch.Blocks[block];
                shape = [(long)b.SubNNs * b.OutChannels, b.BottleneckWidth, 1, 1];
            }
            slots.Add(new Slot(TheirName(name, arch, tail), name, grouped ? Conversion.GroupedExpand : Conversion.Same, block, shape, tensor.dtype));
        }
        for (int i = 0; i < arch.Blocks.Count; i++)
            slots.Add(new Slot($"net_list.{at.FirstBlock + i}.{MaskName}", null, Conversion.Mask, i,
                [arch.Classes, arch.Blocks[i].SubNNs], ScalarType.Bool));
        return slots;
    }

    /// <summary>Block <paramref name="index"/>'s Mask_perClass: the codeword digits of every class (all true when uncoded).</summary>
    public static Tensor Mask(CodedResNeXtNetwork network, int index)
    {
        var arch = network.Architecture;
        var block = network.Blocks[index];
        // An uncoded block's mask is all true: every subNN carries every class.
        var digits = block.Scheme?.CodewordMatrix(block.Spec.OriginalSubNNs) ?? Enumerable.Repeat(true, arch.Classes * block.Spec.SubNNs).ToArray();
        return tensor(digits, [arch.Classes, block.Spec.SubNNs]);
    }

    /// <summary>
    /// The network's tensors in the released layout, as <c>load_state_dict</c> there expects them, with the classifier
    /// placed for <paramref name="tail"/> (by default <see cref="TailOf"/>). The caller disposes them.
    /// </summary>
    public static Dictionary<string, Tensor> Export(CodedResNeXtNetwork network, Tail? tail = null)
    {
        var state = network.state_dict();
        var result = new Dictionary<string, Tensor>();
        using var _ = no_grad();
        foreach (var slot in Slots(network, tail ?? TailOf(network.Architecture)))
        {
            result[slot.Theirs] = slot.Conversion switch
            {
                Conversion.Mask => Mask(network, slot.Block),
                Conversion.GroupedExpand => ToGrouped(state[slot.Ours!], network.Architecture.Blocks[slot.Block]),
                _ => state[slot.Ours!].detach().clone(),
            };
        }
        return result;
    }

    /// <summary>
    /// Copies tensors in the released layout into <paramref name="network"/>. Every expected tensor must be there with its
    /// shape and dtype, nothing else may be, and each block's Mask_perClass must be the network's codewords; otherwise an
    /// <see cref="InvalidInputException"/> names <paramref name="file"/> and the tensor, and the network is left unchanged.
    /// The classifier may sit where either code base puts it (<see cref="Tail"/>); the file's names tell which.
    /// </summary>
    public static void Import(CodedResNeXtNetwork network, IReadOnlyDictionary<string, Tensor> theirs, string file)
    {
        var arch = network.Architecture;
        var tail = TailOf(arch);
        var other = tail == Tail.MeanPool ? Tail.PoolFlatten : Tail.MeanPool;
        string Classifier(Tail t) => $"net_list.{PositionsOf(arch, t).Classifier}.weight";
        if (!theirs.ContainsKey(Classifier(tail)) && theirs.ContainsKey(Classifier(other))) tail = other;
        var slots = Slots(network, tail);
        foreach (var slot in slots)
        {
            if (!theirs.TryGetValue(slot.Theirs, out var t))
            {
                string first = theirs.Keys.Order(StringComparer.Ordinal).FirstOrDefault() is { } k ? $"; the file's first tensor is '{k}'" : "; the file holds no tensor";
                throw InvalidInputException.ForFile(file, $"tensor '{slot.Theirs}' {Shape(slot.Shape)} of the {arch.Name} architecture is missing{first}");
            }
            if (!t.shape.SequenceEqual(slot.Shape))
                throw InvalidInputException.ForFile(file, $"tensor '{slot.Theirs}' has shape {Shape(t.shape)} in the file but the {arch.Name} architecture needs {Shape(slot.Shape)}");
            if (t.dtype != slot.DType)
                throw InvalidInputException.ForFile(file, $"tensor '{slot.Theirs}' is {t.dtype} in the file but {slot.DType} in the {arch.Name} architecture");
        }
        var expected = slots.Select(s => s.Theirs).ToHashSet();
        foreach (var name in theirs.Keys.Order(StringComparer.Ordinal))
            if (!expected.Contains(name))
                throw InvalidInputException.ForFile(file, $"tensor '{name}' is not part of the {arch.Name} architecture in the released code's layout");
        foreach (var slot in slots.Where(s => s.Conversion == Conversion.Mask))
            CheckMask(network, slot, theirs[slot.Theirs], file);

        var state = network.state_dict();
        using var _ = no_grad();
        foreach (var slot in slots.Where(s => s.Ours is not null))
        {
            var source = theirs[slot.Theirs];
            if (slot.Conversion != Conversion.GroupedExpand) state[slot.Ours!].copy_(source);
            else
            {
                using var dense = ToDense(source, arch.Blocks[slot.Block]);
                state[slot.Ours!].copy_(dense);
            }
        }
    }

    private static void CheckMask(CodedResNeXtNetwork network, Slot slot, Tensor mask, string file)
    {
        using var ours = Mask(network, slot.Block);
        if (ours.eq(mask).all().item<bool>()) return;
        var scheme = network.Blocks[slot.Block].Scheme;
        var differs = ours.ne(mask).nonzero();
        long k = differs[0, 0].item<long>(), n = differs[0, 1].item<long>();
        string what = scheme is null ? "all true (an uncoded block)" : $"the codewords of scheme '{scheme.Name}'";
        throw InvalidInputException.ForFile(file,
            $"'{slot.Theirs}' (block {slot.Block}) is not {what}: {differs.shape[0]} digit(s) differ, the first at class {k}, subNN {n}");
    }

    // Ours [C_out, N*d] holds subNN n's weight in columns n*d..(n+1)*d; theirs stacks the N [C_out, d] weights as rows.
    private static Tensor ToGrouped(Tensor dense, BlockSpec b) =>
        dense.detach().reshape(b.OutChannels, b.SubNNs, b.BottleneckWidth).permute(1, 0, 2)
            .reshape(b.SubNNs * b.OutChannels, b.BottleneckWidth, 1, 1).contiguous();

    private static Tensor ToDense(Tensor grouped, BlockSpec b) =>
        grouped.reshape(b.SubNNs, b.OutChannels, b.BottleneckWidth).permute(1, 0, 2)
            .reshape(b.OutChannels, b.SubNNs * b.BottleneckWidth, 1, 1).contiguous();

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
