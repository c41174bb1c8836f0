using CodedResNeXt.Model;
using CodedResNeXt.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Model.Network;

/// <summary>--device: resolving it, and every tensor of the network following it (CI has only a CPU).</summary>
public class ComputeDeviceTests
{
    [Fact]
    public void Auto_is_cuda_only_when_available_and_unknown_or_absent_devices_are_errors_naming_the_option()
    {
        Assert.Equal(DeviceType.CPU, Crx.Cli.DeviceOption.Resolve("cpu").type);
        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, Crx.Cli.DeviceOption.Resolve("auto").type);
        var unknown = Assert.Throws<InvalidInputException>(() => Crx.Cli.DeviceOption.Resolve("gpu"));
        Assert.StartsWith("--device: ", unknown.Message);
        if (!cuda.is_available())
        {
            var absent = Assert.Throws<InvalidInputException>(() => Crx.Cli.DeviceOption.Resolve("cuda:0"));
            Assert.Contains("CUDA is not available", absent.Message);
        }
    }

    [Fact]
    public void Moving_a_network_moves_every_parameter_and_buffer_codewords_included()
    {
        // The meta device holds shapes only: enough to see that nothing stays behind on the CPU.
        var meta = new Device(DeviceType.META);
        using var network = TinyNetworks.Network();
        network.to(meta);
        Assert.Equal(DeviceType.META, network.Device.type);
        Assert.All(network.named_parameters(), p => Assert.Equal(DeviceType.META, p.parameter.device_type));
        Assert.All(network.named_buffers(), b => Assert.Equal(DeviceType.META, b.buffer.device_type));
        Assert.All(network.CodedBlocks, b => Assert.Equal(DeviceType.META, b.Codewords.device_type));
        // dropSubNNs masks are drawn by the run's CPU generator, then moved to the network's device.
        using var generator = new Generator(3);
        Assert.Equal(DeviceType.META, DropSubNNs.DrawMask(4, 4, 0.5, meta, generator).device_type);
    }

    [Fact]
    public void Asking_for_an_absent_or_unknown_device_is_one_line_before_any_work()
    {
        using var tmp = new TempDirectory();
        var (code, _, error) = CrxProcess.Run(tmp.Path, "predict", "--model", Path.Combine(tmp.Path, "none.ckpt"), tmp.Path, "--device", "gpu");
        Assert.Equal((2, "crx: error: --device: 'gpu' is not a device; expected auto, cpu, cuda or cuda:N"), (code, error.TrimEnd()));
        (code, _, error) = CrxProcess.Run(tmp.Path, "bench", "--arch", "fashion-tiny", "--device", "tpu");
        Assert.Equal((2, "crx: error: --device: 'tpu' is not a device; expected auto, cpu, cuda or cuda:N"), (code, error.TrimEnd()));
        if (!cuda.is_available())
        {
            (code, _, error) = CrxProcess.Run(tmp.Path, "train", "--device", "cuda", "--out", tmp["run"]);
            Assert.Equal(2, code);
            Assert.StartsWith("crx: error: --device: 'cuda': CUDA is not available here", error.TrimEnd());
            Assert.False(Directory.Exists(tmp["run"]));
        }
    }
}
