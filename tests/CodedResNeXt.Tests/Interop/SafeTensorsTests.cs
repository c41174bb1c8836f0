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
        SafeTensors.Save(network, path);

        using var fresh = TinyNetworks.Network();
        fresh.eval();
        var x = TinyNetworks.Images(4, seed: 9);
        Assert.False(network.call(x).Logits.eq(fresh.call(x).Logits).all().item<bool>());
        SafeTensors.LoadInto(fresh, path);
        Assert.True(network.call(x).Logits.eq(fresh.call(x).Logits).all().item<bool>());
        Assert.Equal(1L, fresh.state_dict()["blocks.3.bn.num_batches_tracked"].item<long>());
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

    /// <summary>A safetensors file of the given header JSON followed by <paramref name="dataBytes"/> bytes of 0.25f values.</summary>
    private string HandWritten(string json, int dataBytes)
    {
        var file = new List<byte>();
        file.AddRange(BitConverter.GetBytes((long)json.Length));
        file.AddRange(Encoding.ASCII.GetBytes(json));
        for (int i = 0; i < dataBytes / 4; i++) file.AddRange(BitConverter.GetBytes(0.25f));
        string path = Path.Combine(_dir, $"hand-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, file.ToArray());
        return path;
    }

    /// <summary>Load and LoadInto a one-tensor network both refuse the file, in one line naming it.</summary>
    private static string Refusal(string path)
    {
        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Load(path));
        Assert.DoesNotContain('\n', e.Message);
        string prefix = $"{Path.GetFileName(path)}: not a valid safetensors file: ";
        Assert.StartsWith(prefix, e.Message);
        using var one = new OneTensor();
        Assert.Equal(e.Message, Assert.Throws<InvalidInputException>(() => SafeTensors.LoadInto(one, path)).Message);
        return e.Message[prefix.Length..];
    }

    /// <summary>A module whose state_dict is one float tensor "x" of 2 elements.</summary>
    private sealed class OneTensor : nn.Module
    {
        private readonly TorchSharp.Modules.Parameter x = nn.Parameter(zeros(2));
        public OneTensor() : base("one") => RegisterComponents();
    }

    [Fact]
    public void A_duplicate_tensor_name_is_refused()
    {
        string path = HandWritten("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
        Assert.Equal("tensor 'x' appears twice in the header", Refusal(path));
    }

    [Fact]
    public void A_shape_whose_byte_size_overflows_is_refused()
    {
        // 2^62 x 4 floats is 2^66 bytes, which wraps to 0 in 64 bits: data_offsets [0, 0] would seem to fit.
        string path = HandWritten("{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}", 8);
        Assert.Equal("tensor 'x' has shape [4611686018427387904, 4], whose byte size overflows", Refusal(path));
    }

    [Fact]
    public void Overlapping_tensor_offsets_are_refused()
    {
        string path = HandWritten("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        Assert.Equal("tensors 'x' and 'y' overlap in the data (bytes 4..8)", Refusal(path));
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
