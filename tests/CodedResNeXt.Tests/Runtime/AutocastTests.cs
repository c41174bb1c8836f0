using CodedResNeXt.Model;
using CodedResNeXt.Runtime;
using CodedResNeXt.Tests.Model;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Runtime;

/// <summary>bfloat16 training as the paper did it: what runs in bfloat16, what stays float32, and how close it stays to float32.</summary>
public class AutocastTests
{
    // Seeded, so that the float32/bfloat16 closeness checked below is the same on every run; no dropSubNNs.
    private static CodedResNeXtNetwork PerturbedNetwork()
    {
        var network = new CodedResNeXtNetwork(TinyNetworks.Architecture(pDrop: 0), TinyNetworks.Schemes, generator: new Generator(5));
        TinyNetworks.Perturb(network);
        return network;
    }

    [Fact]
    public void Scopes_nest_and_restore_the_precision_on_their_thread_only()
    {
        Assert.Equal(Precision.Float32, Autocast.Current);
        using (Autocast.Enter(Precision.BFloat16))
        {
            Assert.Equal(Precision.BFloat16, Autocast.Current);
            using (Autocast.Enter(Precision.Float32)) Assert.Equal(Precision.Float32, Autocast.Current);
            Assert.Equal(Precision.BFloat16, Autocast.Current);
            var other = Precision.BFloat16;
            var thread = new Thread(() => other = Autocast.Current);
            thread.Start();
            thread.Join();
            Assert.Equal(Precision.Float32, other);
        }
        Assert.Equal(Precision.Float32, Autocast.Current);
    }

    [Fact]
    public void In_bfloat16_the_activations_are_bfloat16_and_the_energies_and_logits_float32_close_to_float32s()
    {
        using var network = PerturbedNetwork();
        network.eval();
        using var images = TinyNetworks.Images(8);
        using var noGrad = no_grad();
        var full = network.call(images);
        NetworkOutput half;
        Tensor activations;
        using (Autocast.Enter(Precision.BFloat16))
        {
            activations = network.ForwardBlocks(network.ForwardStem(images), 0, network.Blocks.Count);
            half = network.call(images);
        }
        Assert.Equal(ScalarType.BFloat16, activations.dtype);
        Assert.Equal(ScalarType.Float32, half.Logits.dtype);
        Assert.All(half.BlockEnergies, e => Assert.Equal(ScalarType.Float32, e.dtype));
        // bfloat16 keeps 8 significant bits: a relative error of a few 0.1 % per op, a few % through the network.
        double logits = TinyNetworks.MaxRelativeDifference(full.Logits, half.Logits);
        Assert.InRange(logits, 1e-5, 0.05); // above 1e-5: the scope did compute in bfloat16
        for (int b = 0; b < full.BlockEnergies.Count; b++)
            Assert.True(TinyNetworks.MaxRelativeDifference(full.BlockEnergies[b], half.BlockEnergies[b]) < 0.05, $"coded block {b}'s energies");
        // Outside the scope nothing is cast: float32 is unchanged.
        Assert.True(network.call(images).Logits.equal(full.Logits).all().item<bool>());
    }

    [Fact]
    public void A_bfloat16_training_step_gives_float32_gradients_pointing_where_float32s_do_and_keeps_float32_weights()
    {
        using var network = PerturbedNetwork();
        network.train();
        using var images = TinyNetworks.Images(16);
        using var labels = TinyNetworks.Labels(16);
        var objective = new CodingObjective(Mu: 6);
        var buffers = network.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());

        Tensor[] Gradients(Precision precision)
        {
            using (no_grad())
                foreach (var (name, buffer) in network.named_buffers()) buffer.copy_(buffers[name]);
            network.zero_grad();
            TrainingStep.Backward(network, objective, images, labels, accumulate: 1, running: null, precision);
            return network.parameters().Select(p => p.grad!.clone()).ToArray();
        }
        var full = Gradients(Precision.Float32);
        var half = Gradients(Precision.BFloat16);

        Assert.All(half, g => Assert.Equal(ScalarType.Float32, g.dtype));
        Assert.All(network.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(network.named_buffers().Where(b => b.buffer.is_floating_point()), b => Assert.Equal(ScalarType.Float32, b.buffer.dtype));
        using var a = cat(full.Select(g => g.flatten()).ToArray());
        using var b = cat(half.Select(g => g.flatten()).ToArray());
        double cosine = (a.dot(b) / (a.norm() * b.norm())).item<float>();
        // Random directions would be near 0; this network's BN over 16 images amplifies the rounding.
        Assert.True(cosine > 0.95, $"cosine {cosine} between the bfloat16 and float32 gradients");
        Assert.False(a.equal(b).all().item<bool>()); // the bfloat16 step did compute in bfloat16
    }

    [Fact]
    public void Float32_is_supported_everywhere_and_bfloat16_wherever_the_cpu_flags_say_so()
    {
        Autocast.RequireSupport(Precision.Float32, CPU);
        bool native = File.Exists("/proc/cpuinfo")
            && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags") && (l.Contains(" avx512_bf16") || l.Contains(" amx_bf16")));
        if (OperatingSystem.IsLinux()) Assert.Equal(native, Autocast.HasNativeBFloat16(CPU));
        if (Autocast.HasNativeBFloat16(CPU)) Autocast.RequireSupport(Precision.BFloat16, CPU);
        else Assert.Contains("AVX512-BF16", Assert.Throws<InvalidInputException>(() => Autocast.RequireSupport(Precision.BFloat16, CPU)).Message);
    }
}
