using CodedResNeXt.CodingSchemes;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CodedResNeXt.Model;

/// <summary>
/// A (Coded) ResNeXt built from an <see cref="ArchitectureSpec"/>: stem, blocks, global average pool, bias-free
/// linear classifier. Forward takes images [B, C, H, W] and labels int64 [B] (or null: no coding loss).
/// State_dict names are PyTorch-style: stem.conv, stem.bn, blocks.{i}.conv_reduce … blocks.{i}.shortcut.bn, classifier.
/// Weights are drawn from <c>generator</c> (torch's global one when null).
/// </summary>
public sealed class CodedResNeXtNetwork : Module<Tensor, Tensor?, NetworkOutput>
{
    [ComponentName(Name = "stem")] private readonly Stem _stem;
    [ComponentName(Name = "blocks")] private readonly ModuleList<ResNeXtBlock> _blocks;
    [ComponentName(Name = "classifier")] private readonly Linear _classifier;

    public CodedResNeXtNetwork(ArchitectureSpec architecture, Func<string, CodingScheme> schemes,
        BlockImplementation implementation = BlockImplementation.Fused, CodingLoss? codingLoss = null, Generator? generator = null)
        : base("CodedResNeXtNetwork")
    {
        architecture.Validate(architecture.Name, schemes);
        Architecture = architecture;
        Schemes = schemes;
        CodingLoss = codingLoss ?? new CodingLoss();

        _stem = new Stem(architecture.Stem);
        var blocks = new List<ResNeXtBlock>();
        var coded = new List<CodedBlock>();
        for (int i = 0; i < architecture.Blocks.Count; i++)
        {
            var spec = architecture.Blocks[i];
            var scheme = spec.IsCoded ? schemes(spec.Scheme!) : null;
            blocks.Add(new ResNeXtBlock(spec, scheme, CodingLoss, implementation));
            if (scheme is not null) coded.Add(new CodedBlock(i, spec, scheme));
        }
        _blocks = new ModuleList<ResNeXtBlock>(blocks.ToArray());
        Blocks = blocks;
        // PyTorch's default Linear initialization; no bias, as in the released code.
        _classifier = Linear(architecture.Features, architecture.Outputs, hasBias: false);
        CodedBlocks = coded;

        RegisterComponents();
        Initialization.Apply(this, generator);
    }

    public ArchitectureSpec Architecture { get; }
    public Func<string, CodingScheme> Schemes { get; }
    public CodingLoss CodingLoss { get; }

    /// <summary>The coded blocks in order, with their schemes (for early decoding: v = energies * N_act / N, nearest codeword).</summary>
    public IReadOnlyList<CodedBlock> CodedBlocks { get; }

    public IReadOnlyList<ResNeXtBlock> Blocks { get; }

    /// <summary>Random source of the dropSubNNs masks (null: torch's global generator), for reproducible runs.</summary>
    public Generator? DropGenerator { get; set; }

    /// <summary>SubNNs removed in the following forward passes (null: none).</summary>
    public SubNNRemoval? Removal { get; set; }

    /// <summary>Fused (default) or materializing coded blocks; both compute the same function with the same weights.</summary>
    public BlockImplementation Implementation
    {
        get => _blocks.Count == 0 ? BlockImplementation.Fused : _blocks[0].Implementation;
        set { foreach (var block in _blocks) block.Implementation = value; }
    }

    /// <summary>Learnable parameters (BN running statistics excluded).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    public override NetworkOutput forward(Tensor images, Tensor? labels)
    {
        if (Removal is not null)
            foreach (int index in Removal.RemovedByBlock.Keys)
                if (index < 0 || index >= _blocks.Count)
                    throw new ArgumentException($"removal names block {index}; the network has blocks 0..{_blocks.Count - 1}");

        var x = _stem.call(images);
        var losses = new List<Tensor>();
        var energies = new List<Tensor>();
        var indices = new List<int>();
        // dropSubNNs is for training only; the masks are the only random draws of a forward pass.
        var masks = training ? DropSubNNs.DrawMasks(Architecture.Blocks, images.shape[0], images.device, DropGenerator) : null;
        for (int i = 0; i < _blocks.Count; i++)
        {
            Tensor? removed = null;
            Removal?.RemovedByBlock.TryGetValue(i, out removed);
            var output = _blocks[i].call(new BlockInput(x, labels, masks?[i], removed));
            x = output.Output;
            if (output.Energies is not null)
            {
                indices.Add(i);
                energies.Add(output.Energies);
                losses.Add(output.CodingLoss ?? zeros([], device: x.device));
            }
        }

        var features = functional.adaptive_avg_pool2d(x, 1).flatten(1);
        var total = losses.Count == 0 ? zeros([], device: x.device) : stack(losses).sum();
        return new NetworkOutput(_classifier.call(features), total, losses, energies, indices);
    }
}
