using CodedResNeXt.Training;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Network;

public class CodedResNeXtNetworkTests
{
    [Fact]
    public void State_dict_names_and_shapes_follow_the_PyTorch_layout()
    {
        using var network = TinyNetworks.Network();
        var state = network.state_dict();
        Assert.Equal([8L, 3, 3, 3], state["stem.conv.weight"].shape);
        Assert.Equal(ScalarType.Int64, state["stem.bn.num_batches_tracked"].dtype);
        Assert.Equal([8L, 8, 1, 1], state["blocks.0.conv_reduce.weight"].shape);          // C_in -> N*d = 8
        Assert.Equal([8L, 2, 3, 3], state["blocks.0.conv_conv.weight"].shape);            // groups N: d inputs per group
        Assert.Equal([16L, 8, 1, 1], state["blocks.1.conv_expand.weight"].shape);         // one dense [C_out, N*d]
        Assert.True(state.ContainsKey("blocks.1.bn_expand.running_var"));
        Assert.True(state.ContainsKey("blocks.1.shortcut.conv.weight"));
        Assert.True(state.ContainsKey("blocks.1.shortcut.bn.weight"));
        Assert.False(state.ContainsKey("blocks.2.shortcut.conv.weight"));                 // identity shortcut
        Assert.Equal([4L, 16], state["classifier.weight"].shape);
        Assert.False(state.ContainsKey("classifier.bias"));
        // Nothing else: no duplicates under C# field names.
        Assert.All(state.Keys, k => Assert.Matches(@"^(stem|blocks\.\d+|classifier)(\.[a-z_]+)+$", k));
        Assert.DoesNotContain(state.Keys, k => k.Contains("._"));
        Assert.Equal(network.parameters().Count(), network.named_parameters().Select(p => p.name).Distinct().Count());
    }

    [Fact]
    public void Initialization_zeroes_every_last_BN_gamma_and_uses_Kaiming_fan_out_for_convolutions()
    {
        var arch = Presets.Get("fashion-tiny");
        using var generator = new TorchSharp.torch.Generator(1);
        using var network = new CodedResNeXtNetwork(arch, CodingSchemeSet.BuiltInsAndFiles, generator: generator);
        var state = network.state_dict();
        for (int i = 0; i < arch.Blocks.Count; i++)
            Assert.Equal(0, state[$"blocks.{i}.bn_expand.weight"].abs().sum().item<float>());
        Assert.Equal(1, state["blocks.0.bn.weight"].mean().item<float>());
        // blocks.4.conv_reduce: [160, 128, 1, 1], fan_out 160: std sqrt(2/160) = 0.112 over 20480 weights.
        // The sample std of n normals is within 3 % of sigma far beyond 3 standard errors (sigma / sqrt(2n) < 0.5 %).
        Assert.InRange(state["blocks.4.conv_reduce.weight"].std().item<float>(), 0.97 * Math.Sqrt(2.0 / 160), 1.03 * Math.Sqrt(2.0 / 160));
        // grouped conv_conv [160, 16, 3, 3]: fan_out 160 * 9.
        Assert.InRange(state["blocks.4.conv_conv.weight"].std().item<float>(), 0.97 * Math.Sqrt(2.0 / 1440), 1.03 * Math.Sqrt(2.0 / 1440));
    }

    [Fact]
    public void Output_holds_logits_and_per_coded_block_energies()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        var output = network.call(TinyNetworks.Images(5));
        Assert.Equal([5L, 4L], output.Logits.shape);
        Assert.Equal([1, 2, 3, 4], output.CodedBlockIndices);
        Assert.Equal(4, output.BlockEnergies.Count);
        Assert.All(output.BlockEnergies, e => Assert.Equal([5L, 4L], e.shape));
        Assert.Equal(["t/2/4", "t/2/4", "t/1/4", "t/1/4"], network.CodedBlocks.Select(b => b.Scheme.Name));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void Segments_composed_at_any_split_are_the_forward_pass(int split)
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.eval();
        var x = TinyNetworks.Images(3);
        var whole = network.call(x);
        var middle = network.ForwardIntermediates(network.ForwardStem(x), 0, split);
        var rest = network.ForwardIntermediates(middle.Output, split, network.Blocks.Count);
        var logits = network.ForwardHead(rest.Output);
        var energies = middle.Energies.Concat(rest.Energies).ToList();
        Assert.True(logits.eq(whole.Logits).all().item<bool>());
        Assert.Equal(whole.BlockEnergies.Count, energies.Count);
        for (int i = 0; i < energies.Count; i++) Assert.True(energies[i].eq(whole.BlockEnergies[i]).all().item<bool>());
    }

    [Fact]
    public void Codeword_matrices_are_buffers_outside_the_state_dict()
    {
        using var network = TinyNetworks.Network();
        Assert.DoesNotContain(network.state_dict().Keys, k => k.Contains("codewords"));
        var block = network.CodedBlocks[2];
        Assert.Equal([4L, 4L], block.Codewords.shape);
        for (int k = 0; k < 4; k++)
            for (int n = 0; n < 4; n++)
                Assert.Equal(block.Scheme.IsActive(k, n) ? 1f : 0f, block.Codewords[k, n].item<float>());
    }

    [Fact]
    public void The_control_network_has_no_coded_block()
    {
        using var control = new CodedResNeXtNetwork(TinyNetworks.Architecture().ToControl(), TinyNetworks.Schemes);
        var output = control.call(TinyNetworks.Images(2));
        Assert.Empty(control.CodedBlocks);
        Assert.Empty(output.BlockEnergies);
    }

    [Fact]
    public void A_tiny_coded_network_learns_a_separable_task_and_its_coding_loss_drops()
    {
        // Class k: a bright k-th quadrant (in channel k % 3) plus noise.
        var g = new Generator(21);
        int batch = 32;
        var templates = zeros(4, 3, 8, 8);
        for (int k = 0; k < 4; k++)
        {
            int r = k / 2 * 4, c = k % 2 * 4;
            templates[k, k % 3, r..(r + 4), c..(c + 4)] = 2;
        }
        Tensor Batch(out Tensor labels)
        {
            labels = randint(0, 4, [batch], dtype: ScalarType.Int64, generator: g);
            return randn([batch, 3, 8, 8], generator: g) * 0.5 + templates.index_select(0, labels);
        }

        using var network = TinyNetworks.Network();
        network.DropGenerator = new Generator(22);
        network.train();
        var optimizer = optim.SGD(network.parameters(), 0.05, momentum: 0.9);
        var ce = new List<double>();
        var code = new List<double>();
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            var x = Batch(out var labels);
            optimizer.zero_grad();
            var output = network.call(x);
            var task = nn.functional.cross_entropy(output.Logits, labels);
            var coding = new CodingObjective(Mu: 1).Compute(network, output, labels).Total;
            (task + 1.0 * coding).backward();
            optimizer.step();
            ce.Add(task.item<float>());
            code.Add(coding.item<float>());
        }
        double First(List<double> v) => v.Take(5).Average();
        double Last(List<double> v) => v.TakeLast(5).Average();
        Assert.True(Last(ce) < 0.4 * First(ce), $"cross entropy {First(ce):F3} -> {Last(ce):F3}");
        Assert.True(Last(code) < 0.7 * First(code), $"coding loss {First(code):F4} -> {Last(code):F4}");
    }
}
