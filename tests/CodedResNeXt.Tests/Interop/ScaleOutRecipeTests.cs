using System.Globalization;
using System.Text.RegularExpressions;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Interop;

/// <summary>
/// docs/scale-out.md, the way to many accelerators through the authors' code: the constructor arguments it gives must
/// build our presets and carry our recipes, and the steps that run without Python (export, import, ONNX) must work.
/// </summary>
public sealed class ScaleOutRecipeTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly Lazy<string> Page = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CodedResNeXt.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return File.ReadAllText(Path.Combine(dir!.FullName, "docs", "scale-out.md"));
    });

    private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    /// <summary>The ratio "N_act/N" that the authors' code names the scheme of <paramref name="block"/> by.</summary>
    private static string Ratio(BlockSpec block) =>
        block.Scheme is null ? $"{block.SubNNs}/{block.SubNNs}" : string.Join('/', block.Scheme.Split('/')[^2..]);

    [Theory]
    [InlineData("cifar10", "ARCHITECTURE_CIFAR_10")]
    [InlineData("cifar100", "ARCHITECTURE_CIFAR_100")]
    public void The_architecture_lists_build_the_CIFAR_presets(string preset, string list)
    {
        var match = Regex.Match(Page.Value, $@"{list} = \[(?<body>.*?)'linear_in(?<features>\d+)'\]", RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/scale-out.md has no {list}");
        string body = match.Groups["body"].Value;
        var arch = Presets.Get(preset);

        var stem = Regex.Match(body, @"'conv(?<k>\d+)_in(?<in>\d+)_out(?<out>\d+)(_str(?<s>\d+))?', 'bn2D_in(?<bn>\d+)', 'relu'");
        Assert.True(stem.Success);
        Assert.Equal(arch.Stem.Kernel, int.Parse(stem.Groups["k"].Value));
        Assert.Equal(arch.Stem.InChannels, int.Parse(stem.Groups["in"].Value));
        Assert.Equal(arch.Stem.OutChannels, int.Parse(stem.Groups["out"].Value));
        Assert.Equal(arch.Stem.OutChannels, int.Parse(stem.Groups["bn"].Value));
        Assert.Equal(arch.Stem.Stride, stem.Groups["s"].Success ? int.Parse(stem.Groups["s"].Value) : 1);
        Assert.False(arch.Stem.MaxPool);

        var blocks = Regex.Matches(body, @"\[(\d+), (\d+), (\d+), (\d+), '(\d+/\d+)', ([\d.]+)\]");
        Assert.Equal(arch.Blocks.Count, blocks.Count);
        int side = arch.Stem.OutputSize(arch.ImageSize);
        for (int i = 0; i < blocks.Count; i++)
        {
            var g = blocks[i].Groups;
            var b = arch.Blocks[i];
            Assert.Equal((b.InChannels, b.OutChannels, b.BottleneckWidth, b.Stride, Ratio(b), b.PDrop),
                (int.Parse(g[1].Value), int.Parse(g[2].Value), int.Parse(g[3].Value), int.Parse(g[4].Value), g[5].Value, Number(g[6].Value)));
            side = (side - 1) / b.Stride + 1;
        }
        // Their tail: an average pool over the whole last feature map, flatten, the bias-free linear.
        Assert.Contains($"'avgPool{side}', 'flatten',", body);
        Assert.Equal(arch.Features, int.Parse(match.Groups["features"].Value));
        Assert.Equal(OfficialLayout.Tail.PoolFlatten, OfficialLayout.TailOf(arch));
    }

    [Fact]
    public void The_CIFAR_arguments_carry_crx_trains_recipe()
    {
        var args = Regex.Match(Page.Value, @"ARGS = \{(?<body>.*?)\n\}", RegexOptions.Singleline).Groups["body"].Value;
        string Value(string key) => Regex.Match(args, $@"'{Regex.Escape(key)}': (?<v>[^,#\n]+(\[[^\]]*\])?)").Groups["v"].Value.Trim();
        var recipe = TrainingOptions.For("cifar10");
        Assert.Equal(recipe.Mu, Number(Value("LossDisentanglement_coef")));
        Assert.Equal(recipe.Epochs, int.Parse(Value("N_epochs")));
        Assert.Equal("True", Value("Energy_normalization"));
        Assert.Equal("True", Value("Same_code_Same_mask"));
        Assert.Equal("'power4_threshold0.0'", Value("LossDisentangle_type"));
        var sgd = Regex.Match(args, @"'SGD_lr_momentum': \[(?<lr>[\d.e-]+), (?<m>[\d.]+), (?<wd>[\d.e-]+), (?<n>True|False)\]");
        Assert.True(sgd.Success);
        Assert.Equal(recipe.LearningRate, Number(sgd.Groups["lr"].Value));
        Assert.Equal(recipe.WeightDecay, Number(sgd.Groups["wd"].Value));
        Assert.Equal(0.9, Number(sgd.Groups["m"].Value));
        Assert.Equal("True", sgd.Groups["n"].Value);
        // The per-device batch is the recipe's batch over the devices.
        Assert.Equal($"{recipe.BatchSize} // N_DEVICES", Value("train_batchSize"));
    }

    [Fact]
    public void The_ImageNet_command_line_builds_the_imagenet_preset_and_carries_its_recipe()
    {
        var command = Regex.Match(Page.Value, @"python launch_xla\.py (?<line>.*?)\n```", RegexOptions.Singleline).Groups["line"].Value.Replace("\\\n", " ");
        string Flag(string name) => Regex.Match(command, $@"(^|\s){Regex.Escape(name)} (?<v>[^\s-][^\s]*)").Groups["v"].Value;
        var arch = Presets.Get("imagenet");
        var recipe = TrainingOptions.For("folder");

        var ratios = Regex.Match(command, @"--coding-ratio-per-stage ((\d+/\d+) ?){4}").Groups[2].Captures.Select(c => c.Value).ToList();
        var stages = arch.Blocks.GroupBy(b => b.Stage).ToList();
        Assert.Equal(stages.Select(s => Ratio(s.First())), ratios);
        Assert.All(stages, s => Assert.Single(s.Select(Ratio).Distinct()));
        Assert.All(arch.Blocks.Where(b => b.IsCoded), b => Assert.Equal(b.PDrop, Number(Flag("--dp-prob"))));
        Assert.Equal(recipe.Mu, Number(Flag("--Coef-LossDisentangle")));

        int devices = int.Parse(Flag("--num-devices")), perDevice = int.Parse(Flag("-b"));
        Assert.Equal(recipe.BatchSize, devices * perDevice);
        double lr = Number(Flag("--lr"));
        Assert.Equal(recipe.LearningRate, lr);
        Assert.Equal(0.1 * recipe.BatchSize / 256, lr, 12);
        Assert.Equal(recipe.Epochs, int.Parse(Flag("--epochs")));
        Assert.Equal(recipe.WarmupEpochs, int.Parse(Flag("--warmup-epochs")));
        Assert.Equal(recipe.MinLearningRate, Number(Flag("--min-lr")));
        Assert.Equal(recipe.WeightDecay, Number(Flag("--weight-decay")));
        Assert.Equal("cosine", Flag("--sched"));
        // The Python constructor the page gives says the same ratios and p_drop.
        Assert.Contains($"coding_ratio_per_stage=[{string.Join(", ", ratios.Select(r => $"'{r}'"))}], dropSubNNs_prob={Flag("--dp-prob")})", Page.Value.Replace("\n", " "));
    }

    [Fact]
    public void The_steps_that_run_here_go_out_back_in_and_on_to_ONNX()
    {
        // 1: out (from the authors' Lightning checkpoint imported as ours), 3: back in, bit for bit; 4: ONNX.
        string imported = _tmp["from-gpus.ckpt"], start = _tmp["start.safetensors"], again = _tmp["again.ckpt"], onnx = _tmp["m.onnx"];
        foreach (var args in new[]
                 {
                     new[] { "import", "--from", "lightning", LightningFixture.Checkpoint, "--arch", "cifar10", "--out", imported },
                     new[] { "export", "--format", "official", imported, "--out", start },
                     new[] { "import", "--from", "official", start, "--arch", "cifar10", "--out", again },
                     new[] { "export", "--format", "onnx", again, "--out", onnx },
                     new[] { "info", LightningFixture.Checkpoint },
                 })
        {
            var (code, _, error) = CrxProcess.Run(_tmp.Path, args);
            Assert.True(code == 0, $"crx {string.Join(' ', args)}: {error}");
        }
        var official = SafeTensors.Load(OfficialFixture.Weights);
        var back = SafeTensors.Load(start);
        Assert.Equal(official.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        Assert.All(official, p => Assert.True(p.Value.bytes.SequenceEqual(back[p.Key].bytes), p.Key));
        Assert.True(new FileInfo(onnx).Length > 1_000_000);
    }
}
