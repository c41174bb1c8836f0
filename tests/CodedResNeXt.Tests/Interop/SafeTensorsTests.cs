using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Interop;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crx-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_saved_network_loads_into_a_fresh_one_with_identical_outputs_and_BN_statistics()
    {
        using var network = TinyNetworks.Network();
        TinyNetworks.Perturb(network);
        network.train();
        network.call(TinyNetworks.Images(8)); // moves running statistics and num_batches_tracked
        network.eval();
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensors.Save(network, path, new Dictionary<string, string> { ["preset"] = "tiny" });

        using var fresh = TinyNetworks.Network();
        fresh.eval();
        var x = TinyNetworks.Images(4, seed: 9);
        Assert.False(network.call(x).Logits.eq(fresh.call(x).Logits).all().item<bool>());
        SafeTensors.LoadInto(fresh, path);
        Assert.True(network.call(x).Logits.eq(fresh.call(x).Logits).all().item<bool>());
        Assert.Equal(1L, fresh.state_dict()["blocks.3.bn.num_batches_tracked"].item<long>());
        Assert.Equal("tiny", SafeTensors.ReadMetadata(path)["preset"]);
    }

    [Fact]
    public void The_file_follows_the_format_length_prefix_json_header_and_raw_little_endian_data()
    {
        string path = Path.Combine(_dir, "t.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["b"] = tensor(new float[] { 1.5f, -2f, 3f, 4f, 5f, 6f }, [2, 3]),
            ["a"] = tensor(7L),
        });
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        var b = header.RootElement.GetProperty("b");
        Assert.Equal("F32", b.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], b.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var a = header.RootElement.GetProperty("a");
        Assert.Equal("I64", a.GetProperty("dtype").GetString());
        Assert.Equal(0, a.GetProperty("shape").GetArrayLength());
        long start = 8 + headerLength;
        long aBegin = a.GetProperty("data_offsets")[0].GetInt64(), bBegin = b.GetProperty("data_offsets")[0].GetInt64();
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)(start + aBegin))));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(start + bBegin + 4))));
    }

    [Fact]
    public void A_hand_written_file_is_read()
    {
        // {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} followed by 0.25, -1.
        string json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var file = new List<byte>();
        file.AddRange(BitConverter.GetBytes((long)json.Length));
        file.AddRange(Encoding.ASCII.GetBytes(json));
        file.AddRange(BitConverter.GetBytes(0.25f));
        file.AddRange(BitConverter.GetBytes(-1f));
        string path = Path.Combine(_dir, "hand.safetensors");
        File.WriteAllBytes(path, file.ToArray());
        var loaded = SafeTensors.Load(path);
        Assert.Equal([0.25f, -1f], loaded["x"].data<float>().ToArray());
    }

    [Fact]
    public void Loading_a_file_of_another_architecture_names_the_file_and_the_first_mismatching_tensor()
    {
        string path = Path.Combine(_dir, "wide.safetensors");
        var wider = TinyNetworks.Architecture() with { Stem = new StemSpec(3, 8, 5, 1, false) };
        using (var other = new CodedResNeXtNetwork(wider, TinyNetworks.Schemes)) SafeTensors.Save(other, path);
        using var network = TinyNetworks.Network();
        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.LoadInto(network, path));
        Assert.Equal("wide.safetensors: tensor 'stem.conv.weight' has shape [8, 3, 5, 5] in the file but [8, 3, 3, 3] in the network", e.Message);
    }

    [Fact]
    public void A_missing_tensor_and_a_truncated_file_are_input_errors()
    {
        string path = Path.Combine(_dir, "part.safetensors");
        using var network = TinyNetworks.Network();
        var state = network.state_dict().Where(p => p.Key != "classifier.weight").ToDictionary(p => p.Key, p => p.Value);
        SafeTensors.Save(path, state);
        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.LoadInto(network, path));
        Assert.Equal("part.safetensors: tensor 'classifier.weight' [4, 16] of the network is missing from the file", e.Message);

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^10]);
        e = Assert.Throws<InvalidInputException>(() => SafeTensors.Load(path));
        Assert.StartsWith("part.safetensors: not a valid safetensors file", e.Message);
    }
}
