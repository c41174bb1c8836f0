using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Model;

/// <summary>
/// A whole (Coded) ResNeXt as data (docs/method.md#architectures): stem, blocks in order, global average pool, and a
/// bias-free linear classifier. <see cref="Classes"/> is K, the number of classes the coding schemes
/// encode; <see cref="KeptClasses"/> (null = all) lists the classes whose logits a classifier extracted by
/// <see cref="KeepPathsOf"/> still produces.
/// </summary>
/// <param name="Name">the architecture's name, e.g. a preset's</param>
/// <param name="Classes">K, the classes the coding schemes encode</param>
/// <param name="InputChannels">channels of the input images (1 gray, 3 RGB)</param>
/// <param name="ImageSize">side of the square input images, in pixels</param>
/// <param name="Stem">the stem before block 0</param>
/// <param name="Blocks">every block, in order</param>
/// <param name="KeptClasses">an extracted classifier's classes (indices among all K), in logit order; null: all K</param>
public sealed record ArchitectureSpec(
    string Name,
    int Classes,
    int InputChannels,
    int ImageSize,
    StemSpec Stem,
    IReadOnlyList<BlockSpec> Blocks,
    IReadOnlyList<int>? KeptClasses = null)
{
    /// <summary>Number of logits the classifier produces.</summary>
    [JsonIgnore] public int Outputs => KeptClasses?.Count ?? Classes;

    /// <summary>The class of each output, in logit order: the kept classes, or all classes 0..K-1.</summary>
    [JsonIgnore] public IReadOnlyList<int> OutputClasses => KeptClasses ?? Enumerable.Range(0, Classes).ToArray();

    /// <summary>Channels entering the classifier.</summary>
    [JsonIgnore] public int Features => Blocks.Count == 0 ? Stem.OutChannels : Blocks[^1].OutChannels;

    /// <summary>Weights of the bias-free linear classifier: features × outputs.</summary>
    [JsonIgnore] public long ClassifierParameterCount => (long)Features * Outputs;

    /// <summary>The index of each coded block among all blocks, ascending: the blocks with an early decoder.</summary>
    [JsonIgnore] public IReadOnlyList<int> CodedBlockIndices => Enumerable.Range(0, Blocks.Count).Where(i => Blocks[i].IsCoded).ToArray();

    /// <summary>The presets' names (the paper's cifar10, cifar100 and imagenet, and the small fashion-* ones), for <see cref="Preset"/> and <see cref="Load"/>.</summary>
    public static IReadOnlyCollection<string> PresetNames => Presets.Names;

    /// <summary>The preset called <paramref name="name"/> (change it in code with <c>with</c>); an <see cref="InvalidInputException"/> lists the presets otherwise.</summary>
    /// <param name="name">one of <see cref="PresetNames"/></param>
    public static ArchitectureSpec Preset(string name) => Presets.Get(name);

    /// <summary>
    /// A preset (<see cref="PresetNames"/>) or else an architecture file (written by <see cref="Save"/>, or the output of
    /// <c>crx info --json</c>), validated against the coding schemes its coded blocks name; an
    /// <see cref="InvalidInputException"/> naming the file, or saying the name is neither, otherwise.
    /// </summary>
    /// <param name="presetOrPath">a preset's name or an architecture file's path</param>
    /// <param name="schemes">coding schemes made in code that the blocks may name, besides the built-in ones and scheme files</param>
    public static ArchitectureSpec Load(string presetOrPath, IReadOnlyList<CodingScheme>? schemes = null) =>
        ArchitectureFile.LoadPresetOrFile(presetOrPath, CodingSchemeSet.With(schemes));

    /// <summary>
    /// The coding scheme block <paramref name="block"/> names (null for an uncoded block), found among
    /// <paramref name="schemes"/>, the built-in ones and scheme files.
    /// </summary>
    /// <param name="block">the block's index among all blocks</param>
    /// <param name="schemes">coding schemes made in code, besides the built-in ones and scheme files</param>
    public CodingScheme? SchemeOf(int block, IReadOnlyList<CodingScheme>? schemes = null) =>
        Blocks[block].Scheme is { } name ? CodingSchemeSet.With(schemes)[name] : null;

    /// <summary>
    /// The size of class <paramref name="cls"/>'s standalone binary classifier in this architecture, exact and as the
    /// paper estimates it (<see cref="CodedResNeXtModel.BinaryClassifierSize"/> for a model's).
    /// </summary>
    /// <param name="cls">the class, by index among all K</param>
    /// <param name="schemes">coding schemes made in code that the blocks name, besides the built-in ones and scheme files</param>
    public BinaryClassifiers.BinaryClassifierSize BinaryClassifierSize(int cls, IReadOnlyList<CodingScheme>? schemes = null) =>
        BinaryClassifiers.BinaryClassifierSize.Of(this, cls, CodingSchemeSet.With(schemes));

    /// <summary>Writes the architecture as an architecture file (JSON, snake_case), replacing any file there; <see cref="Load"/> reads it back.</summary>
    /// <param name="path">the .json file to write</param>
    public void Save(string path) => ArchitectureFile.Save(this, path);

    /// <summary>
    /// Checks that the architecture is consistent and that every coding scheme fits its block.
    /// Throws <see cref="InvalidInputException"/> whose message starts with <paramref name="source"/>
    /// (a file name, or a preset name) and names the first problem found.
    /// </summary>
    internal void Validate(string source, CodingSchemeSet schemes)
    {
        void Fail(string problem) => throw new InvalidInputException($"{source}: {problem}");

        if (string.IsNullOrWhiteSpace(Name)) Fail("the architecture has no name");
        if (Classes < 1) Fail($"classes is {Classes}; it must be at least 1");
        if (InputChannels < 1) Fail($"input_channels is {InputChannels}; it must be at least 1");
        if (ImageSize < 1) Fail($"image_size is {ImageSize}; it must be at least 1");
        if (Stem is null) Fail("the architecture has no stem");
        if (Stem!.InChannels != InputChannels)
            Fail($"the stem has in_channels {Stem.InChannels} but the input has {InputChannels} channels");
        if (Stem.OutChannels < 1) Fail($"the stem has out_channels {Stem.OutChannels}; it must be at least 1");
        if (Stem.Kernel < 1 || Stem.Kernel % 2 == 0) Fail($"the stem has kernel {Stem.Kernel}; it must be odd and positive");
        if (Stem.Stride < 1) Fail($"the stem has stride {Stem.Stride}; it must be at least 1");
        if (Blocks is null || Blocks.Count == 0) Fail("the architecture has no blocks");

        int size = Stem.OutputSize(ImageSize);
        if (size < 1) Fail($"image_size {ImageSize} is too small for the stem");
        int channels = Stem.OutChannels;
        for (int i = 0; i < Blocks!.Count; i++)
        {
            var b = Blocks[i];
            string at = $"block {i} ({b.Stage})";
            string from = i == 0 ? "the stem outputs" : $"block {i - 1} outputs";
            if (b.InChannels != channels) Fail($"block {i} has in_channels {b.InChannels} but {from} {channels}");
            if (b.OutChannels < 1) Fail($"{at} has out_channels {b.OutChannels}; it must be at least 1");
            if (b.BottleneckWidth < 1) Fail($"{at} has bottleneck_width {b.BottleneckWidth}; it must be at least 1");
            if (b.SubNNs < 1) Fail($"{at} has subnns {b.SubNNs}; it must be at least 1");
            if (b.Stride is not (1 or 2)) Fail($"{at} has stride {b.Stride}; it must be 1 or 2");
            if (!(b.PDrop >= 0 && b.PDrop < 1)) Fail($"{at} has p_drop {b.PDrop}; it must be in [0, 1)");
            if (!b.IsCoded && b.PDrop != 0)
                Fail($"{at} is uncoded but has p_drop {b.PDrop}; dropSubNNs applies only to coded blocks");
            if (!b.IsCoded && (b.IsPartial || b.EnergyNormalizationSubNNs is not null))
                Fail($"{at} is uncoded but has kept_subnns or energy_normalization_subnns; only coded blocks can be partial");
            ValidatePartial(b, at, Fail);
            if (b.IsCoded) ValidateScheme(b, at, schemes, Fail);
            size = (size - 1) / b.Stride + 1;
            channels = b.OutChannels;
        }

        if (KeptClasses is not null)
        {
            if (KeptClasses.Count == 0) Fail("kept_classes is empty");
            foreach (int k in KeptClasses)
                if (k < 0 || k >= Classes) Fail($"kept_classes has class {k}; classes are 0..{Classes - 1}");
            if (KeptClasses.Distinct().Count() != KeptClasses.Count) Fail("kept_classes lists a class twice");
        }
        RequireBuildable(source);
    }

    /// <summary>
    /// The most blocks an architecture may have. The deepest published ResNets have a few hundred blocks
    /// (ResNet-1001: 333); each block is dozens of native modules, so ten thousand is far beyond any real network
    /// and still builds in seconds.
    /// </summary>
    public const int MaxBlocks = 10_000;

    /// <summary>
    /// Refuses an architecture too large to build here, before anything is allocated: more than
    /// <see cref="MaxBlocks"/> blocks, or more float32 parameters plus activations of a single image than this
    /// machine's memory (a file with 10^9 channels or a 10^9 input side would make libtorch try to allocate hundreds
    /// of GB, or abort). Computed in floating point from the numbers alone, so absurd values cannot overflow; also
    /// applied to a model file's meta.json before its entries are read.
    /// </summary>
    public void RequireBuildable(string source)
    {
        void Fail(string problem) => throw new InvalidInputException($"{source}: {problem}");
        if (Blocks is null || Stem is null) return; // structural errors are Validate's
        if (Blocks.Count > MaxBlocks) Fail($"{Blocks.Count} blocks; an architecture may have at most {MaxBlocks}");

        var (parameters, activations) = SizeEstimate();
        double bytes = 4 * (parameters + activations);
        long available = AvailableMemory();
        if (bytes > available)
            Fail($"{parameters:G3} parameters and {activations:G3} activations per image need {Bytes(bytes)} in float32, " +
                 $"more than the {Bytes(available)} of memory here");
    }

    /// <summary>
    /// Float32 parameters and the activations one image keeps in a forward pass (each layer's output once), from the
    /// numbers alone: as doubles, since sizes like 10^9 x 10^9 overflow every integer type the spec uses.
    /// </summary>
    internal (double Parameters, double Activations) SizeEstimate()
    {
        double side = Math.Max(1.0, Math.Floor(((double)ImageSize + 2 * (Stem.Kernel / 2) - Stem.Kernel) / Math.Max(1, Stem.Stride)) + 1);
        if (Stem.MaxPool) side = Math.Floor((side - 1) / 2) + 1;
        double parameters = (double)Stem.InChannels * Stem.OutChannels * Stem.Kernel * Stem.Kernel + 2.0 * Stem.OutChannels;
        double activations = (double)InputChannels * ImageSize * ImageSize + 2.0 * Stem.OutChannels * side * side;
        double features = Stem.OutChannels;
        foreach (var b in Blocks)
        {
            if (b is null) continue;
            double width = (double)b.SubNNs * b.BottleneckWidth;
            double outSide = Math.Floor((side - 1) / Math.Max(1, b.Stride)) + 1;
            parameters += (double)b.InChannels * width + width * b.BottleneckWidth * 9 + width * b.OutChannels
                          + 4.0 * width + 2.0 * b.OutChannels + (double)b.InChannels * b.OutChannels + 2.0 * b.OutChannels;
            // reduce (and its BN and ReLU), grouped conv, expand, shortcut and the sum: each output kept once.
            activations += 3 * width * side * side + 3 * width * outSide * outSide + 3.0 * b.OutChannels * outSide * outSide;
            side = outSide;
            features = b.OutChannels;
        }
        parameters += features * Math.Max(1, KeptClasses?.Count ?? Classes);
        return (parameters, activations);
    }

    /// <summary>The memory the process may use: the machine's, or its container's limit.</summary>
    private static long AvailableMemory()
    {
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return total > 0 ? total : long.MaxValue;
    }

    private static string Bytes(double bytes) =>
        bytes >= 1L << 40 ? $"{bytes / (1L << 40):G3} TiB" : bytes >= 1L << 30 ? $"{bytes / (1L << 30):0.#} GiB" : $"{bytes / (1L << 20):0.#} MiB";

    private static void ValidatePartial(BlockSpec b, string at, Action<string> fail)
    {
        int n = b.NormalizationSubNNs;
        if (n < b.SubNNs) fail($"{at} has energy_normalization_subnns {n}, fewer than its {b.SubNNs} subNNs");
        if (n != b.SubNNs && !b.IsPartial) fail($"{at} normalizes by {n} subNNs but has {b.SubNNs}; list the kept_subnns");
        if (!b.IsPartial) return;
        var kept = b.KeptSubNNs!;
        if (kept.Count != b.SubNNs) fail($"{at} lists {kept.Count} kept_subnns but has subnns {b.SubNNs}");
        for (int j = 0; j < kept.Count; j++)
        {
            if (kept[j] < 0 || kept[j] >= n) fail($"{at} keeps subNN {kept[j]}; the original block has subNNs 0..{n - 1}");
            if (j > 0 && kept[j] <= kept[j - 1]) fail($"{at}: kept_subnns must be strictly increasing");
        }
    }

    private void ValidateScheme(BlockSpec b, string at, CodingSchemeSet schemes, Action<string> fail)
    {
        CodingScheme scheme;
        try { scheme = schemes[b.Scheme!]; }
        catch (InvalidInputException e) { fail($"{at}: {e.Message}"); return; }
        if (scheme.Classes != Classes)
            fail($"{at} uses coding scheme '{b.Scheme}' for {scheme.Classes} classes but the architecture has {Classes} classes");
        if (scheme.SubNNs != b.NormalizationSubNNs)
            fail($"{at} has {b.NormalizationSubNNs} subNNs but coding scheme '{b.Scheme}' has codewords of length {scheme.SubNNs}");
    }

    /// <summary>The control network ("ResNeXt"): the same architecture with every block uncoded (N/N, no dropSubNNs).</summary>
    public ArchitectureSpec ToControl() => this with
    {
        Name = Name + "-control",
        Blocks = Blocks.Select(b =>
        {
            if (b.IsPartial) throw new InvalidInputException($"{Name}: block {b.Stage} is partial; a control network is made from a complete architecture");
            return b with { Scheme = null, PDrop = 0, EnergyNormalizationSubNNs = null, KeptSubNNs = null };
        }).ToArray(),
    };

    /// <summary>
    /// The standalone classifier for <paramref name="classes"/> (docs/method.md#what-a-trained-network-gives-you, binary classifier): in every
    /// coded block only the union of the classes' active subNNs stays, energies are still normalized by the
    /// original N, and the classifier keeps only the classes' rows. Uncoded blocks stay whole.
    /// </summary>
    internal ArchitectureSpec KeepPathsOf(IReadOnlyList<int> classes, CodingSchemeSet schemes)
    {
        if (classes.Count == 0) throw new InvalidInputException($"{Name}: keep the paths of which classes? none given");
        foreach (int k in classes)
        {
            if (k < 0 || k >= Classes) throw new InvalidInputException($"{Name}: class {k} does not exist; classes are 0..{Classes - 1}");
            if (KeptClasses is not null && !KeptClasses.Contains(k))
                throw new InvalidInputException($"{Name}: class {k} is not among the kept classes {string.Join(",", KeptClasses)}");
        }
        var blocks = Blocks.Select(b =>
        {
            if (!b.IsCoded) return b;
            var scheme = schemes[b.Scheme!];
            int[] kept = b.OriginalSubNNs.Where(n => classes.Any(k => scheme.IsActive(k, n))).ToArray();
            return b with { SubNNs = kept.Length, EnergyNormalizationSubNNs = b.NormalizationSubNNs, KeptSubNNs = kept };
        }).ToArray();
        return this with { Name = $"{Name}-paths-of-{string.Join("+", classes)}", Blocks = blocks, KeptClasses = classes.ToArray() };
    }

    /// <summary>Parameters of the stem, each stage (in order of first appearance), the classifier, and in total.</summary>
    internal ParameterBreakdown CountParameters()
    {
        var stages = new List<StageParameters>();
        foreach (var b in Blocks)
        {
            int at = stages.FindIndex(s => s.Stage == b.Stage);
            if (at < 0) stages.Add(new StageParameters(b.Stage, b.ParameterCount));
            else stages[at] = stages[at] with { Parameters = stages[at].Parameters + b.ParameterCount };
        }
        return new ParameterBreakdown(Stem.ParameterCount, stages, ClassifierParameterCount);
    }
}
