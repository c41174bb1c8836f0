using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CodedResNeXt.Tests.Interop;

/// <summary>
/// The authors' ImageNet model (Imagenet/CodedResNeXt.py, Imagenet/NN_modules.py) both ways. Their net_list is the stem's
/// conv7 stride 2, BN, ReLU, maxPool3 stride 2 pad 1 (net_list.0-3), the sixteen ResNeXt_blocks (4-19), avgPoolWithMean
/// (20, x.mean((2, 3)): no flatten, unlike the CIFAR code) and linear_in2048 (21). A block has the CIFAR code's names; a
/// block whose scheme is M/32 with M &lt; 32 has the grouped conv_expand [32*C_out, d, 1, 1], the others (scheme 32/32) a
/// dense one; every block holds Mask_perClass [1000, 32] from SUBNNS_CODING_IMAGENET, all true for 32/32.
/// The tensors here are built from that description, not from OfficialLayout.
/// </summary>
public sealed class ImageNetLayoutTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>One block of their architecture list: [in, out, d, stride, coding scheme "M/32"].</summary>
    private sealed record TheirBlock(int In, int Out, int D, int Stride, string Coding);

    /// <summary>Their Coded ResNeXt-50 list with the train.py default coding ratios 32/32, 32/32, 16/32, 8/32.</summary>
    private static List<TheirBlock> ResNeXt50()
    {
        const int d = 4;
        var blocks = new List<TheirBlock> { new(64, 256, d, 1, "32/32"), new(256, 256, d, 1, "32/32"), new(256, 256, d, 1, "32/32") };
        blocks.Add(new(256, 512, 2 * d, 2, "32/32"));
        for (int i = 0; i < 3; i++) blocks.Add(new(512, 512, 2 * d, 1, "32/32"));
        blocks.Add(new(512, 1024, 4 * d, 2, "16/32"));
        for (int i = 0; i < 5; i++) blocks.Add(new(1024, 1024, 4 * d, 1, "16/32"));
        blocks.Add(new(1024, 2048, 8 * d, 2, "8/32"));
        for (int i = 0; i < 2; i++) blocks.Add(new(2048, 2048, 8 * d, 1, "8/32"));
        return blocks;
    }

    /// <summary>
    /// A state_dict of their ImageNet code for a stem conv of <paramref name="stemOut"/> channels and kernel 7, the blocks,
    /// the classifier at net_list.{4 + blocks + 1}: random weights, BN statistics (positive variances) and step counts,
    /// masks from the ImageNet codewords. Weights are scaled by their fan-in so activations stay of order one.
    /// </summary>
    private static Dictionary<string, Tensor> TheirTensors(int inChannels, int stemOut, IReadOnlyList<TheirBlock> blocks, int classes, int seed)
    {
        using var g = new Generator((ulong)seed);
        var t = new Dictionary<string, Tensor>();
        Tensor Weight(params long[] shape) => randn(shape, generator: g).mul(Math.Sqrt(2.0 / (shape.Skip(1).Aggregate(1L, (a, b) => a * b))));
        void BatchNorm(string at, int channels)
        {
            t[$"{at}.weight"] = rand([channels], generator: g).add(0.5);
            t[$"{at}.bias"] = randn([channels], generator: g).mul(0.1);
            t[$"{at}.running_mean"] = randn([channels], generator: g).mul(0.1);
            t[$"{at}.running_var"] = rand([channels], generator: g).add(0.5);
            t[$"{at}.num_batches_tracked"] = tensor((long)(seed * 1000 + channels));
        }
        t["net_list.0.weight"] = Weight(stemOut, inChannels, 7, 7);
        BatchNorm("net_list.1", stemOut);
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            string at = $"net_list.{4 + i}";
            int n = 32, width = n * b.D;
            bool coded = b.Coding != "32/32";
            t[$"{at}.conv_reduce.weight"] = Weight(width, b.In, 1, 1);
            BatchNorm($"{at}.bn_reduce", width);
            t[$"{at}.conv_internal.weight"] = Weight(width, b.D, 3, 3);
            BatchNorm($"{at}.bn_internal", width);
            t[$"{at}.conv_expand.weight"] = coded ? Weight(n * b.Out, b.D, 1, 1) : Weight(b.Out, width, 1, 1);
            BatchNorm($"{at}.bn_expand", b.Out);
            if (b.Stride != 1 || b.In != b.Out)
            {
                t[$"{at}.skip_connection.conv_skip.weight"] = Weight(b.Out, b.In, 1, 1);
                BatchNorm($"{at}.skip_connection.bn_skip", b.Out);
            }
            // The codewords of SUBNNS_CODING_IMAGENET (shipped here as the built-in imagenet/M/32), as their bool buffer.
            string[] words = coded ? BuiltInSchemes.Get($"imagenet/{b.Coding}").ToStrings().ToArray() : Enumerable.Repeat(new string('1', n), classes).ToArray();
            t[$"{at}.Mask_perClass"] = tensor(words.SelectMany(w => w.Select(c => c == '1')).ToArray(), [classes, n]);
        }
        t[$"net_list.{4 + blocks.Count + 1}.weight"] = Weight(classes, blocks[^1].Out);
        return t;
    }

    [Fact]
    public void The_whole_imagenet_network_in_their_layout_goes_in_and_back_out_bit_for_bit()
    {
        var theirs = TheirTensors(3, 64, ResNeXt50(), 1000, seed: 5);
        // Their parameters (conv, BN and linear weights and biases) are as many as the preset's: 25.03 M.
        Assert.Equal(Presets.Get("imagenet").CountParameters().Total,
            theirs.Where(p => p.Key.EndsWith(".weight") || p.Key.EndsWith(".bias")).Sum(p => p.Value.numel()));
        string file = _tmp["imagenet.safetensors"], model = _tmp["imagenet.ckpt"], back = _tmp["back.safetensors"];
        SafeTensors.Save(file, theirs);
        OfficialModelFile.Import(file, "imagenet", model);
        OfficialModelFile.Export(model, back);
        var exported = SafeTensors.Load(back);
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), exported.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in theirs)
        {
            Assert.True(t.dtype == exported[name].dtype, $"{name}: {exported[name].dtype}, not {t.dtype}");
            Assert.Equal(t.shape, exported[name].shape);
            Assert.True(t.bytes.SequenceEqual(exported[name].bytes), $"{name}: the bytes differ");
        }
        Assert.Equal([1000L, 2048], exported["net_list.21.weight"].shape);
        Assert.Equal([32L * 2048, 32, 1, 1], exported["net_list.19.conv_expand.weight"].shape);

        // The same tensors as a torch.save file (what their training leaves) import to the same checkpoint weights.
        string pickled = _tmp["imagenet.pt"], fromPickle = _tmp["from-pickle.ckpt"], back2 = _tmp["back2.safetensors"];
        PyTorchPickler.PickleStateDict(pickled, new System.Collections.Hashtable(theirs));
        OfficialModelFile.Import(pickled, "imagenet", fromPickle, WeightsFormat.Lightning);
        OfficialModelFile.Export(fromPickle, back2);
        var again = SafeTensors.Load(back2);
        Assert.All(theirs, p => Assert.True(p.Value.bytes.SequenceEqual(again[p.Key].bytes), p.Key));
    }

    /// <summary>The ImageNet stem and three blocks (uncoded, 16/32, 8/32) at 32x32: the smallest network of their ImageNet layout.</summary>
    private static readonly TheirBlock[] Small = [new(16, 32, 2, 1, "32/32"), new(32, 64, 1, 2, "16/32"), new(64, 64, 1, 1, "8/32")];

    private static ArchitectureSpec SmallArchitecture() => new("imagenet-stem-small", 1000, 3, 32, new StemSpec(3, 16, 7, 2, MaxPool: true),
    [
        new BlockSpec("c2", 16, 32, 2, 32, 1),
        new BlockSpec("c4", 32, 64, 1, 32, 2, "imagenet/16/32", 0.1),
        new BlockSpec("c5", 64, 64, 1, 32, 1, "imagenet/8/32", 0.1),
    ]);

    [Fact]
    public void A_small_network_of_their_ImageNet_layout_computes_what_their_forward_computes()
    {
        var theirs = TheirTensors(3, 16, Small, 1000, seed: 11);
        string arch = _tmp["small.json"], lightning = _tmp["small.pt"], model = _tmp["small.ckpt"];
        ArchitectureFile.Save(SmallArchitecture(), arch);
        // In as a torch.save state_dict, through the CLI as a user would.
        PyTorchPickler.PickleStateDict(lightning, new System.Collections.Hashtable(theirs));
        var (code, _, error) = CrxProcess.Run(_tmp.Path, "import", "--from", "lightning", "--arch", arch, lightning, "--out", model);
        Assert.True(code == 0, error);

        var (network, _) = Checkpoint.Load(model);
        using var _n = network;
        using var g = new Generator(3);
        var x = randn([4, 3, 32, 32], generator: g);
        using var noGrad = no_grad();
        var ours = network.call(x).Logits.to(float64);
        var oracle = TheirForward(theirs.ToDictionary(p => p.Key, p => p.Value.dtype == ScalarType.Float32 ? p.Value.to(float64) : p.Value), Small, x.to(float64));
        double worst = ours.sub(oracle).abs().max().item<double>();
        double scale = oracle.abs().max().item<double>();
        output.WriteLine($"max |logit difference| {worst:G3}, largest |logit| {scale:G3}, over {x.shape[0]} inputs");
        Assert.True(scale > 0.1, $"the logits are too small to compare ({scale:G3})");
        Assert.True(worst < 1e-4 * Math.Max(1, scale), $"logits differ by up to {worst:G3} (largest logit {scale:G3})");
    }

    /// <summary>
    /// Their forward in eval mode, written from NN_modules.py's ResNeXt_block.forward and CodedResNeXt.forward with
    /// Energy_normalization on: for a coded block the grouped conv_expand's output viewed [B, N, C_out, H, W], each
    /// subNN's energy mean(x^2) over (C_out, H, W), x divided by the root of the mean energy, summed over the subNNs,
    /// then bn_expand, the residual and ReLU; avgPoolWithMean, then the bias-free linear.
    /// </summary>
    private static Tensor TheirForward(Dictionary<string, Tensor> t, IReadOnlyList<TheirBlock> blocks, Tensor x)
    {
        Tensor Bn(Tensor h, string at) => F.batch_norm(h, t[$"{at}.running_mean"], t[$"{at}.running_var"], t[$"{at}.weight"], t[$"{at}.bias"], training: false, eps: 1e-5);
        var h = F.conv2d(x, t["net_list.0.weight"], strides: [2], padding: [3]);
        h = F.max_pool2d(Bn(h, "net_list.1").relu(), 3, stride: 2, padding: 1);
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            string at = $"net_list.{4 + i}";
            const int n = 32;
            var residual = b.Stride != 1 || b.In != b.Out
                ? Bn(F.conv2d(h, t[$"{at}.skip_connection.conv_skip.weight"], strides: [b.Stride]), $"{at}.skip_connection.bn_skip")
                : h;
            var y = Bn(F.conv2d(h, t[$"{at}.conv_reduce.weight"]), $"{at}.bn_reduce").relu();
            y = Bn(F.conv2d(y, t[$"{at}.conv_internal.weight"], strides: [b.Stride], padding: [1], groups: n), $"{at}.bn_internal").relu();
            if (b.Coding == "32/32") y = F.conv2d(y, t[$"{at}.conv_expand.weight"]);
            else
            {
                y = F.conv2d(y, t[$"{at}.conv_expand.weight"], groups: n);
                long batch = y.shape[0], height = y.shape[2], width = y.shape[3];
                y = y.view(batch, n, -1, height, width);
                var energy = y.pow(2).mean([2, 3, 4]);
                var rms = energy.mean([1]).sqrt();
                y = y.div(rms.view(batch, 1, 1, 1, 1)).sum(1);
            }
            h = Bn(y, $"{at}.bn_expand").add(residual).relu();
        }
        return h.mean([2, 3]).matmul(t[$"net_list.{4 + blocks.Count + 1}.weight"].t());
    }

    [Fact]
    public void A_file_with_the_CIFAR_codes_tail_imports_as_well_and_exports_in_the_ImageNet_codes()
    {
        // The same small network with the classifier at net_list.9 (pool, flatten) instead of net_list.8 (mean pool).
        var theirs = TheirTensors(3, 16, Small, 1000, seed: 12);
        theirs["net_list.9.weight"] = theirs["net_list.8.weight"];
        theirs.Remove("net_list.8.weight");
        string arch = _tmp["small.json"], file = _tmp["cifar-tail.safetensors"], model = _tmp["m.ckpt"], back = _tmp["back.safetensors"];
        ArchitectureFile.Save(SmallArchitecture(), arch);
        SafeTensors.Save(file, theirs);
        OfficialModelFile.Import(file, arch, model);
        OfficialModelFile.Export(model, back);
        var exported = SafeTensors.Load(back);
        Assert.True(exported["net_list.8.weight"].bytes.SequenceEqual(theirs["net_list.9.weight"].bytes));
        Assert.False(exported.ContainsKey("net_list.9.weight"));
    }
}
