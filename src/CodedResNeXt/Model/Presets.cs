namespace CodedResNeXt.Model;

/// <summary>
/// Built-in architectures: the paper's three (docs/method.md#architectures) and small ones with the same structure
/// for Fashion-MNIST on a CPU. Coded blocks name published schemes ("dataset/N_act/N") and use
/// p_drop = 0.1; uncoded blocks have p_drop = 0.
/// </summary>
internal static class Presets
{
    private const double PDrop = 0.1;

    private static readonly Dictionary<string, Func<ArchitectureSpec>> All = new()
    {
        // Coded ResNeXt-29 (10x11d): N = 10, d = 11, r3 = 5/10, r4 = 3/10. 4.639 M parameters.
        ["cifar10"] = () => Cifar("cifar10", 10, subNNs: 10, d: 11, "cifar10/5/10", "cifar10/3/10"),
        // Coded ResNeXt-29 (20x6d): N = 20, d = 6, r3 = 8/20, r4 = 4/20. 4.749 M parameters.
        ["cifar100"] = () => Cifar("cifar100", 100, subNNs: 20, d: 6, "cifar100/8/20", "cifar100/4/20"),
        // Coded ResNeXt-50 (32x4d): c4 16/32, c5 8/32. 25.03 M parameters.
        ["imagenet"] = () => new ArchitectureSpec("imagenet", 1000, 3, 224, new StemSpec(3, 64, 7, 2, MaxPool: true),
        [
            .. Stage("c2", 3, 64, 256, d: 4, subNNs: 32, stride: 1, null),
            .. Stage("c3", 4, 256, 512, d: 8, subNNs: 32, stride: 2, null),
            .. Stage("c4", 6, 512, 1024, d: 16, subNNs: 32, stride: 2, "imagenet/16/32"),
            .. Stage("c5", 3, 1024, 2048, d: 32, subNNs: 32, stride: 2, "imagenet/8/32"),
        ]),
        // The same structure as ResNeXt-29 at Fashion-MNIST scale: 28x28 grayscale, stride-2 stem to 14x14,
        // stages 64/128/256 with d = 4/8/16, N = 10, ratios 10/10, 5/10, 3/10. 0.44 M parameters.
        ["fashion-small"] = () => new ArchitectureSpec("fashion-small", 10, 1, 28, new StemSpec(1, 64, 3, 2, MaxPool: false),
        [
            .. Stage("c2", 3, 64, 64, d: 4, subNNs: 10, stride: 1, null),
            .. Stage("c3", 3, 64, 128, d: 8, subNNs: 10, stride: 2, "cifar10/5/10"),
            .. Stage("c4", 3, 128, 256, d: 16, subNNs: 10, stride: 2, "cifar10/3/10"),
        ]),
        // fashion-small at half the channels and 1/2/2 blocks (two consecutive coded blocks per coded stage, so
        // "same code, same mask" still happens): 0.17 M parameters, about 2.5x faster to train.
        ["fashion-tiny"] = () => new ArchitectureSpec("fashion-tiny", 10, 1, 28, new StemSpec(1, 32, 3, 2, MaxPool: false),
        [
            .. Stage("c2", 1, 32, 32, d: 4, subNNs: 10, stride: 1, null),
            .. Stage("c3", 2, 32, 64, d: 8, subNNs: 10, stride: 2, "cifar10/5/10"),
            .. Stage("c4", 2, 64, 128, d: 16, subNNs: 10, stride: 2, "cifar10/3/10"),
        ]),
        // fashion-small for 32x32 RGB (CIFAR-10): the stride-2 stem keeps it as cheap as fashion-small (16x16 after the stem).
        ["cifar10-small"] = () => new ArchitectureSpec("cifar10-small", 10, 3, 32, new StemSpec(3, 64, 3, 2, MaxPool: false),
        [
            .. Stage("c2", 3, 64, 64, d: 4, subNNs: 10, stride: 1, null),
            .. Stage("c3", 3, 64, 128, d: 8, subNNs: 10, stride: 2, "cifar10/5/10"),
            .. Stage("c4", 3, 128, 256, d: 16, subNNs: 10, stride: 2, "cifar10/3/10"),
        ]),
    };

    /// <summary>The preset names, for <see cref="Get"/> and the command line.</summary>
    public static IReadOnlyCollection<string> Names => All.Keys;

    /// <summary>The preset called <paramref name="name"/>; an <see cref="InvalidInputException"/> lists the presets otherwise.</summary>
    public static ArchitectureSpec Get(string name) =>
        All.TryGetValue(name, out var make)
            ? make()
            : throw new InvalidInputException($"unknown preset '{name}' (presets: {string.Join(", ", All.Keys)})");

    private static ArchitectureSpec Cifar(string name, int classes, int subNNs, int d, string scheme3, string scheme4) =>
        new(name, classes, 3, 32, new StemSpec(3, 64, 3, 1, MaxPool: false),
        [
            .. Stage("c2", 3, 64, 256, d, subNNs, stride: 1, null),
            .. Stage("c3", 3, 256, 512, 2 * d, subNNs, stride: 2, scheme3),
            .. Stage("c4", 3, 512, 1024, 4 * d, subNNs, stride: 2, scheme4),
        ]);

    /// <summary>A stage of <paramref name="blocks"/> blocks; only the first changes channels and stride.</summary>
    private static IEnumerable<BlockSpec> Stage(string stage, int blocks, int inChannels, int outChannels, int d, int subNNs, int stride, string? scheme) =>
        Enumerable.Range(0, blocks).Select(i => new BlockSpec(
            stage, i == 0 ? inChannels : outChannels, outChannels, d, subNNs, i == 0 ? stride : 1,
            scheme, scheme is null ? 0 : PDrop));
}
