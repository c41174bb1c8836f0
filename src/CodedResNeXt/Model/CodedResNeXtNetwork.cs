using CodedResNeXt.Runtime;
using CodedResNeXt.CodingSchemes;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Model;

/// <summary>
/// A (Coded) ResNeXt built from an <see cref="ArchitectureSpec"/>: stem, blocks, global average pool, bias-free
/// linear classifier. Like timm's models it exposes its forward pass in segments (<see cref="ForwardStem"/>,
/// <see cref="ForwardBlocks(Tensor, int, int)"/>, <see cref="ForwardHead"/>) that <see cref="forward"/> composes, so training,
/// analysis and extraction all run the same code, analyses computing a shared prefix once.
/// State_dict names are PyTorch-style: stem.conv, stem.bn, blocks.{i}.conv_reduce … blocks.{i}.shortcut.bn, classifier.
/// Weights are drawn from <c>generator</c> (torch's global one when null).
/// </summary>
public sealed class CodedResNeXtNetwork : Module<Tensor, NetworkOutput>
{
    [ComponentName(Name = "stem")] private readonly Stem _stem;
    [ComponentName(Name = "blocks")] private readonly ModuleList<ResNeXtBlock> _blocks;
    [ComponentName(Name = "classifier")] private readonly Linear _classifier;

    /// <summary>Builds the network of <paramref name="architecture"/> and initializes it as the released code does (docs/method.md#the-block), in training mode.</summary>
    /// <param name="architecture">the structure; validated against the coding schemes (an <see cref="InvalidInputException"/> names the first problem)</param>
    /// <param name="schemes">coding schemes made in code that its coded blocks name, besides the built-in ones and scheme files</param>
    /// <param name="generator">source of the initial weights (null: torch's global generator)</param>
    public CodedResNeXtNetwork(ArchitectureSpec architecture, IReadOnlyList<CodingScheme>? schemes = null, Generator? generator = null)
        : this(architecture, CodingSchemeSet.With(schemes), BlockImplementation.Fused, generator)
    {
    }

    /// <summary>Builds the network of <paramref name="architecture"/> with the coded blocks computing as <paramref name="implementation"/> says.</summary>
    /// <param name="architecture">the structure; validated against <paramref name="schemes"/> (an <see cref="InvalidInputException"/> names the first problem)</param>
    /// <param name="schemes">the coding schemes its coded blocks name</param>
    /// <param name="implementation">how coded blocks compute (fused by default; both give the same function)</param>
    /// <param name="generator">source of the initial weights (null: torch's global generator)</param>
    internal CodedResNeXtNetwork(ArchitectureSpec architecture, CodingSchemeSet schemes,
        BlockImplementation implementation = BlockImplementation.Fused, Generator? generator = null)
        : base("CodedResNeXtNetwork")
    {
        architecture.Validate(architecture.Name, schemes);
        Architecture = architecture;
        Schemes = schemes;

        _stem = new Stem(architecture.Stem);
        var blocks = architecture.Blocks
            .Select(spec => new ResNeXtBlock(spec, spec.IsCoded ? schemes[spec.Scheme!] : null, implementation)).ToArray();
        _blocks = new ModuleList<ResNeXtBlock>(blocks);
        Blocks = blocks;
        // PyTorch's default Linear initialization; no bias, as in the released code.
        _classifier = Linear(architecture.Features, architecture.Outputs, hasBias: false);
        CodedBlocks = Enumerable.Range(0, blocks.Length).Where(i => blocks[i].Scheme is not null)
            .Select(i => new CodedBlock(i, blocks[i])).ToList();

        RegisterComponents();
        Initialization.Apply(this, generator);
    }

    /// <summary>The structure the network was built from (for an extracted classifier, with its kept subNNs and classes).</summary>
    public ArchitectureSpec Architecture { get; }

    /// <summary>The coding schemes the blocks name.</summary>
    internal CodingSchemeSet Schemes { get; }

    /// <summary>The coded blocks in order, with their schemes and codewords.</summary>
    internal IReadOnlyList<CodedBlock> CodedBlocks { get; }

    /// <summary>All blocks in order; index i is state_dict prefix blocks.{i}.</summary>
    internal IReadOnlyList<ResNeXtBlock> Blocks { get; }

    /// <summary>The coding scheme of each coded block, in order (its codewords: what the early decoders and the coding loss compare energies with).</summary>
    public IReadOnlyList<CodingScheme> CodedBlockSchemes => CodedBlocks.Select(b => b.Scheme).ToList();

    /// <summary>Blocks before the first coded block: every binary classifier of the network keeps them whole.</summary>
    internal int UncodedPrefix => CodedBlocks.Count == 0 ? Blocks.Count : CodedBlocks[0].BlockIndex;

    /// <summary>Random source of the dropSubNNs masks (null: torch's global generator), for reproducible runs.</summary>
    public Generator? DropGenerator { get; set; }

    /// <summary>Fused (default) or materializing coded blocks; both compute the same function with the same weights.</summary>
    internal BlockImplementation Implementation
    {
        get => _blocks.Count == 0 ? BlockImplementation.Fused : _blocks[0].Implementation;
        set { foreach (var block in _blocks) block.Implementation = value; }
    }

    /// <summary>Where the network's parameters and buffers are (<c>to(device)</c> moves them all, codewords included).</summary>
    public Device Device => _classifier.weight!.device;

    /// <summary>Learnable parameters (BN running statistics excluded).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The whole network, no subNN removed: logits [B, outputs] and the energies of every coded block.</summary>
    /// <param name="images">normalized images [B, C, H, W]</param>
    public override NetworkOutput forward(Tensor images) => Forward(images, null);

    /// <summary>The whole network, with the subNNs of <paramref name="removal"/> removed (null: none).</summary>
    internal NetworkOutput Forward(Tensor images, SubNNRemoval? removal)
    {
        var blocks = ForwardIntermediates(ForwardStem(images), 0, Blocks.Count, removal);
        return new NetworkOutput(ForwardHead(blocks.Output), blocks.Energies, CodedBlocks.Select(b => b.BlockIndex).ToList());
    }

    /// <summary>
    /// Whether the stem hands the blocks their activations in channels-last memory order (NHWC strides, the shape stays
    /// [B, C, H, W]; default true). oneDNN, libtorch's CPU convolution library, is fastest in that order and keeps it
    /// from layer to layer; TorchSharp 0.107 has no memory_format argument, so the order is made with a permute. The values
    /// are the same up to float rounding (docs/performance.md#channels-last).
    /// </summary>
    public bool ChannelsLast { get; set; } = true;

    /// <summary>The stem: images [B, C, H, W] to the input of block 0.</summary>
    public Tensor ForwardStem(Tensor images)
    {
        if (!ChannelsLast) return _stem.call(images);
        // The images first, so that the stem's convolution already runs channels-last; the stem's output again, because
        // with one input channel (grayscale) both orders are the same and libtorch keeps the convolution's default.
        return InChannelsLastOrder(_stem.call(InChannelsLastOrder(images)));
    }

    // [B, C, H, W] whose channels are the densest dimension in memory; itself when they already are.
    private static Tensor InChannelsLastOrder(Tensor x) =>
        x.dim() != 4 || x.stride(1) == 1 ? x : x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>
    /// Blocks <paramref name="from"/>..<paramref name="to"/>-1 on <paramref name="x"/>, the input of block
    /// <paramref name="from"/>: the output of the last of them. In training mode the coded blocks draw their dropSubNNs
    /// masks (same code, same mask).
    /// </summary>
    /// <param name="x">the input of block <paramref name="from"/></param>
    /// <param name="from">the first block to run</param>
    /// <param name="to">one past the last block to run (the network has <see cref="ArchitectureSpec.Blocks"/>.Count blocks)</param>
    public Tensor ForwardBlocks(Tensor x, int from, int to) => ForwardIntermediates(x, from, to, null).Output;

    /// <summary>As <see cref="ForwardBlocks(Tensor, int, int)"/>, with the subNNs of <paramref name="removal"/> removed.</summary>
    internal Tensor ForwardBlocks(Tensor x, int from, int to, SubNNRemoval? removal) => ForwardIntermediates(x, from, to, removal).Output;

    /// <summary>
    /// As <see cref="ForwardBlocks(Tensor, int, int)"/>, also returning what every coded block of the range computed on the
    /// way (timm's <c>forward_intermediates</c>): the last block's output, the input of the next block or of
    /// <see cref="ForwardHead"/>, and each coded block's energies [B, N] in block order, which the early decoders and
    /// the coding loss read.
    /// </summary>
    /// <param name="x">the input of block <paramref name="from"/></param>
    /// <param name="from">the first block to run</param>
    /// <param name="to">one past the last block to run</param>
    public (Tensor Output, IReadOnlyList<Tensor> Energies) ForwardIntermediates(Tensor x, int from, int to) => ForwardIntermediates(x, from, to, null);

    /// <summary>As <see cref="ForwardIntermediates(Tensor, int, int)"/>, with the subNNs of <paramref name="removal"/> removed.</summary>
    /// <param name="x">the input of block <paramref name="from"/></param>
    /// <param name="from">the first block to run</param>
    /// <param name="to">one past the last block to run</param>
    /// <param name="removal">subNNs to remove, by block index (indices outside the range are ignored)</param>
    internal (Tensor Output, IReadOnlyList<Tensor> Energies) ForwardIntermediates(Tensor x, int from, int to, SubNNRemoval? removal)
    {
        if (from < 0 || to > Blocks.Count || from > to)
            throw new ArgumentOutOfRangeException(nameof(from), $"blocks {from}..{to - 1} are not within the network's blocks 0..{Blocks.Count - 1}");
        if (removal is not null)
            foreach (int index in removal.RemovedByBlock.Keys)
                if (index < 0 || index >= Blocks.Count)
                    throw new ArgumentException($"removal names block {index}; the network has blocks 0..{Blocks.Count - 1}");
        // dropSubNNs is for training only; the masks are the only random draws of a forward pass.
        var masks = training ? DropSubNNs.DrawMasks(Architecture.Blocks.Skip(from).Take(to - from).ToList(), x.shape[0], x.device, DropGenerator) : null;
        var energies = new List<Tensor>();
        for (int i = from; i < to; i++)
        {
            var output = _blocks[i].call(new BlockInput(x, masks?[i - from], removal?.Of(i)));
            x = output.Output;
            if (output.Energies is not null) energies.Add(output.Energies);
        }
        return (x, energies);
    }

    /// <summary>
    /// The standalone network of <paramref name="classes"/> (the paper's binary classifier for one class): in every coded
    /// block only the union of the classes' active subNNs, with their weights copied (energies still normalized by the
    /// original N), and the classifier's rows of the classes: their logits through their paths alone. A new module on the
    /// same device and in the same mode, owned by the caller; this network is not changed.
    /// </summary>
    /// <param name="classes">the kept classes, by index among all K, in logit order</param>
    public CodedResNeXtNetwork ExtractPathsOf(IReadOnlyList<int> classes) => PathExtraction.ExtractPathsOf(this, classes);

    /// <summary>Global average pool and the linear classifier: the last block's output to the logits [B, outputs], in float32 whatever the compute precision.</summary>
    public Tensor ForwardHead(Tensor x) => _classifier.call(Autocast.Full(functional.adaptive_avg_pool2d(x, 1).flatten(1)));
}
