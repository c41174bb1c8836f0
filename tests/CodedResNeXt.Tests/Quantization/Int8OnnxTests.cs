using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Data;
using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.Model;
using CodedResNeXt.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using ModelMetadata = CodedResNeXt.ModelMetadata;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Quantization;

/// <summary>
/// The int8 ONNX export: each quantized convolution and the classifier against an independent computation (the BN
/// folded and the weights quantized here, symmetric per output channel, times the graph's own dequantized input
/// activations), layer by layer, within one step of the output's quantization; the folded float graph against
/// TorchSharp; the files through <see cref="OnnxModel.Load"/> (so <see cref="OnnxGraphCheck"/> accepts them) and
/// ONNX Runtime, agreeing with the float file; the metadata; and the refusal without calibration images.
/// </summary>
public class Int8OnnxTests : IDisposable
{
    private static readonly string[] ClassNames = ["alpha", "beta", "gamma", "delta"];
    private static readonly Normalization Signed = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Random images of the tiny networks' shape, as bytes; smooth enough that the activations are not all noise.</summary>
    private static ImageDataset Images(int count, int seed)
    {
        var random = new Random(seed);
        int size = TinyNetworks.ImageSize;
        var pixels = new byte[count * 3 * size * size];
        for (int i = 0; i < count; i++)
        {
            int baseline = random.Next(40, 200);
            for (int j = 0; j < 3 * size * size; j++) pixels[i * 3 * size * size + j] = (byte)Math.Clamp(baseline + random.Next(-60, 61), 0, 255);
        }
        return new ImageDataset("random", pixels, Enumerable.Range(0, count).Select(i => i % ClassNames.Length).ToArray(), ClassNames, 3, size, size);
    }

    private static float[] Normalized(ImageDataset images) =>
        Enumerable.Range(0, images.Count).SelectMany(i =>
        {
            var bytes = images.Image(i).ToArray();
            int plane = bytes.Length / 3;
            return bytes.Select((b, j) => (b / 255f - Signed.Mean[j / plane]) / Signed.Std[j / plane]);
        }).ToArray();

    private static CodedResNeXtNetwork Trained()
    {
        // Seeded: the weights, and so the int8 file's small differences from float, are the same on every run.
        var network = new CodedResNeXtNetwork(TinyNetworks.Architecture(), TinyNetworks.Schemes, BlockImplementation.Fused, new Generator(5));
        TinyNetworks.Perturb(network);
        network.eval();
        return network;
    }

    private static Dictionary<string, Tensor> Run(byte[] graph, IEnumerable<string> outputs, float[] images, int batch)
    {
        using var session = new InferenceSession(graph);
        using var input = OrtValue.CreateTensorValueFromMemory(images, [batch, 3, TinyNetworks.ImageSize, TinyNetworks.ImageSize]);
        var names = outputs.ToArray();
        using var results = session.Run(new RunOptions(), [OnnxExport.Input], [input], names);
        return names.Select((name, i) => (name, tensor(results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape)))
            .ToDictionary(p => p.name, p => p.Item2);
    }

    [Fact]
    public void Every_quantized_convolution_and_the_classifier_match_dequantized_weights_times_their_input_within_one_step()
    {
        using var network = Trained();
        var arch = network.Architecture;
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, ClassNames, Signed, "synthetic", []);
        var options = new QuantizationOptions { CalibrationSet = Images(64, 1), Percentile = null };
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);

        var calibrating = QdqLayers.Calibrating();
        byte[] floatGraph = OnnxExport.Build(arch, weights, [], energies: true, calibrating);
        var ranges = OnnxCalibration.Measure(floatGraph, calibrating.Taps, options.CalibrationSet!, meta, options);
        var quantizing = QdqLayers.Quantizing(ranges, quantizeGroupedConvolutions: true, exposeTaps: true);
        byte[] int8Graph = OnnxExport.Build(arch, weights, [], energies: true, quantizing);
        Assert.Equal(calibrating.Taps, quantizing.Taps);

        var test = Images(6, 2);
        float[] images = Normalized(test);
        var taps = Run(int8Graph, quantizing.Taps.Select(QdqLayers.TapName).Prepend(OnnxExport.Logits), images, test.Count);
        Tensor Q(string key) => taps[QdqLayers.TapName(key)];

        // The folded float graph is the network: BN folding changes nothing but rounding.
        var floats = Run(floatGraph, [OnnxExport.Logits], images, test.Count);
        var reference = network.call(tensor(images, [test.Count, 3, TinyNetworks.ImageSize, TinyNetworks.ImageSize]));
        Assert.InRange(TinyNetworks.MaxRelativeDifference(reference.Logits, floats[OnnxExport.Logits]), 0, 1e-4);

        int layers = 0;
        void Layer(string input, string output, string conv, string bn, int stride, int padding, int groups, bool relu, bool bias)
        {
            // Independent of the export: BN folded with torch ops, then int8 symmetric per output channel.
            var w = weights[conv].to(ScalarType.Float32);
            var scale = weights[$"{bn}.weight"] / (weights[$"{bn}.running_var"] + 1e-5).sqrt();
            var folded = w * scale.reshape(-1, 1, 1, 1);
            var step = folded.abs().amax([1, 2, 3], keepdim: true) / 127;
            var dequantized = (folded / step).round().clamp(-127, 127) * step;
            var shift = weights[$"{bn}.bias"] - scale * weights[$"{bn}.running_mean"];
            var y = nn.functional.conv2d(Q(input), dequantized, bias ? shift : null, strides: [stride, stride], padding: [padding, padding], groups: groups);
            if (relu) y = nn.functional.relu(y);
            var range = ranges[output];
            var (s, zero) = (range with { Lo = relu ? 0 : range.Lo }).Uint8();
            var expected = ((y / s).round() + zero).clamp(0, 255).sub(zero) * s;
            var actual = Q(output);
            Assert.Equal(expected.shape, actual.shape);
            double worst = (expected - actual).abs().max().item<float>();
            Assert.True(worst <= s * 1.001, $"{output}: off by {worst / s:F2} steps of {s}");
            // Most values are the same integer; rounding at a half step (bias in int32, sums in another order) moves a few.
            Assert.True((expected - actual).abs().lt(s / 2).to(ScalarType.Float32).mean().item<float>() > 0.95, $"{output}: most values differ");
            Assert.True(actual.abs().max().item<float>() > 10 * s, $"{output}: the activation is nearly all zero; the comparison would prove little");
            layers++;
        }

        Layer("images", "stem", "stem.conv.weight", "stem.bn", arch.Stem.Stride, arch.Stem.Kernel / 2, 1, relu: true, bias: true);
        string x = "stem";
        for (int i = 0; i < arch.Blocks.Count; i++)
        {
            var block = arch.Blocks[i];
            string p = $"blocks.{i}";
            Layer(x, $"{p}.reduce", $"{p}.conv_reduce.weight", $"{p}.bn_reduce", 1, 0, 1, relu: true, bias: true);
            Layer($"{p}.reduce", $"{p}.grouped", $"{p}.conv_conv.weight", $"{p}.bn", block.Stride, 1, block.SubNNs, relu: true, bias: true);
            // A coded block's expand BN: its scale is folded, its shift comes after the per-image energy scaling.
            Layer($"{p}.grouped", $"{p}.expand", $"{p}.conv_expand.weight", $"{p}.bn_expand", 1, 0, 1, relu: false, bias: !block.IsCoded);
            if (block.HasProjectionShortcut)
                Layer(x, $"{p}.shortcut", $"{p}.shortcut.conv.weight", $"{p}.shortcut.bn", block.Stride, 0, 1, relu: false, bias: true);
            x = $"{p}.out";
        }
        Assert.Equal(1 + 3 * arch.Blocks.Count + arch.Blocks.Count(b => b.HasProjectionShortcut), layers);

        // The classifier: float logits from the quantized features and int8 rows.
        var classifier = weights["classifier.weight"];
        var rowStep = classifier.abs().amax([1], keepdim: true) / 127;
        var logits = Q("features").matmul(((classifier / rowStep).round() * rowStep).t());
        Assert.InRange(TinyNetworks.MaxRelativeDifference(logits, taps[OnnxExport.Logits]), 0, 1e-4);
    }

    [Theory]
    [InlineData(99.99)]
    [InlineData(99.0)]
    public void Each_activation_range_is_the_percentile_of_every_value_the_calibration_images_give_within_one_histogram_bin(double percentile)
    {
        using var network = Trained();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, ClassNames, Signed, "synthetic", []);
        var images = Images(40, 8);
        using var scope = NewDisposeScope();
        var weights = network.state_dict().ToDictionary(p => p.Key, p => p.Value);
        var calibrating = QdqLayers.Calibrating();
        byte[] graph = OnnxExport.Build(network.Architecture, weights, [], energies: true, calibrating);
        var percentiles = OnnxCalibration.Measure(graph, calibrating.Taps, images, meta,
            new QuantizationOptions { Percentile = percentile });
        var extremes = OnnxCalibration.Measure(graph, calibrating.Taps, images, meta, new QuantizationOptions { Percentile = null });

        // Every value of every tap over all 40 images, sorted: the order statistics the ranges must be.
        var taps = Run(graph, calibrating.Taps.Select(QdqLayers.TapName), Normalized(images), images.Count);
        foreach (var key in calibrating.Taps)
        {
            var values = taps[QdqLayers.TapName(key)].data<float>().ToArray();
            Array.Sort(values);
            Assert.Equal((values[0], values[^1]), (extremes[key].Lo, extremes[key].Hi));
            double bin = (values[^1] - values[0]) / 4096.0;
            float hi = values[(int)Math.Ceiling(percentile / 100 * values.Length) - 1];
            float lo = values[(int)Math.Floor((1 - percentile / 100) * values.Length)];
            Assert.InRange(percentiles[key].Hi, hi - 1e-6, hi + bin + 1e-6);
            Assert.InRange(percentiles[key].Lo, lo - bin - 1e-6, lo + 1e-6);
        }
        // A percentile clips: some activation's range is narrower than its extremes.
        Assert.Contains(calibrating.Taps, key => percentiles[key].Hi < extremes[key].Hi - 1e-6);
    }

    private string NewPath(string extension) => Path.Combine(_directory.Path, Guid.NewGuid().ToString("N")[..8] + extension);

    [Fact]
    public void An_int8_file_passes_the_graph_check_runs_in_ONNX_Runtime_and_agrees_with_the_float_file()
    {
        using var network = Trained();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, ClassNames, Signed, "synthetic", []);
        string source = NewPath(".ckpt"), float32 = NewPath(".onnx"), int8 = NewPath(".onnx");
        ModelFile.Write(source, meta, network);
        OnnxModelExport.ExportFile(source, float32);
        var options = new QuantizationOptions { CalibrationSet = Images(200, 3), CalibrationImages = 128, Seed = 5 };
        OnnxModelExport.ExportFile(source, int8, quantization: options);

        // What crx info shows: how it was calibrated; a float file says nothing.
        var info = OnnxMetadata.Quantization(int8)!;
        Assert.Equal(("percentile 99.99", 128, 5, "random (in memory)"), (info.Method, info.Images, info.Seed, info.Data));
        Assert.Empty(info.FloatWeights);
        Assert.Null(OnnxMetadata.Quantization(float32));

        var test = Images(300, 4);
        var sources = Enumerable.Range(0, test.Count).Select(i => new InputImage($"i{i}", 8, 8, false)).ToList();
        IReadOnlyList<ImagePrediction> Predict(string path)
        {
            using var model = PredictionModel.Load(path); // OnnxModel.Load: the graph check first
            Assert.True(model.IsOnnx);
            return model.Predict(test, sources, batchSize: 64);
        }
        var a = Predict(float32);
        var b = Predict(int8);
        double agree = a.Zip(b).Average(p => p.First.Prediction!.Class == p.Second.Prediction!.Class ? 1.0 : 0);
        Assert.True(agree >= 0.9, $"int8 agrees with float on {agree:P1} of the images");
        // The early decoders read the energies, which stay float outputs.
        for (int d = 0; d < a[0].EarlyDecoders!.Count; d++)
        {
            double early = a.Zip(b).Average(p => p.First.EarlyDecoders![d].Class == p.Second.EarlyDecoders![d].Class ? 1.0 : 0);
            Assert.True(early >= 0.85, $"early decoder {d}: {early:P1}");
        }
        // Not a file that merely copies the float one: the logits moved, by a little.
        double moved = a.Zip(b).Average(p => p.First.Logits!.Zip(p.Second.Logits!).Average(z => Math.Abs(z.First - z.Second)));
        double size = a.Average(p => p.Logits!.Average(v => Math.Abs(v)));
        Assert.InRange(moved, 1e-6, 0.1 * size);
    }

    [Fact]
    public void An_extracted_classifier_in_int8_keeps_its_float_logit_and_its_grouped_convolutions_float_when_asked()
    {
        using var full = Trained();
        var classifierNetwork = full.ExtractPathsOf([2]);
        classifierNetwork.eval();
        var meta = ModelMetadata.Of(BinaryClassifierFile.Kind, classifierNetwork, ClassNames, Signed, "synthetic", []);
        var threshold = new ClassThreshold(2, "gamma", 0.375, 10, 30, 0.9, 0.8, 0.847);
        using var classifier = new ExtractedClassifier(classifierNetwork,
            new BinaryClassifierInfo(meta, new ClassifierSection(["gamma"], [threshold], 40, "source.ckpt", full.ParameterCount)));
        string float32 = NewPath(".onnx"), int8 = NewPath(".onnx");
        classifier.ExportOnnx(float32);
        classifier.ExportOnnx(int8, new QuantizationOptions { CalibrationSet = Images(64, 6), QuantizeGroupedConvolutions = false });

        Assert.Equal(Enumerable.Range(0, classifierNetwork.Architecture.Blocks.Count).Select(i => $"blocks.{i}.conv_conv.weight"),
            OnnxMetadata.Quantization(int8)!.FloatWeights);
        using var a = OnnxModel.Load(float32);
        using var b = OnnxModel.Load(int8);
        Assert.Empty(b.CodedBlockIndices);
        float[] images = Normalized(Images(40, 7));
        var (x, y) = (a.Run(images, 40).Logits, b.Run(images, 40).Logits);
        Assert.Equal(40, y.Length);
        // The int8 logit follows the float one from image to image (an untrained row's logits are small, so compare their variation).
        double mx = x.Average(), my = y.Average();
        double correlation = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my))
                             / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
        Assert.True(correlation > 0.95, $"the int8 logit's correlation with the float one is {correlation:F3}");
        using var session = new InferenceSession(int8);
        Assert.Equal([OnnxExport.Logits], session.OutputMetadata.Keys);
        // Float grouped convolutions: their folded weights are float initializers; the other convolutions' are int8.
        string names = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(int8));
        for (int i = 0; i < classifierNetwork.Architecture.Blocks.Count; i++)
        {
            Assert.Contains($"blocks.{i}.conv_conv.weight.folded", names);
            Assert.DoesNotContain($"blocks.{i}.conv_conv.weight.folded.int8", names);
            Assert.Contains($"blocks.{i}.conv_reduce.weight.folded.int8", names);
        }
    }

    [Fact]
    public void The_facade_writes_an_int8_file_that_predicts_with_early_decoders_and_says_how_it_was_calibrated()
    {
        using var model = CodedResNeXtModel.Create("fashion-tiny", seed: 3);
        var random = new Random(9);
        var pixels = new byte[48 * 28 * 28];
        random.NextBytes(pixels);
        var images = new ImageDataset("noise", pixels, new int[48], model.ClassNames, 1, 28, 28);
        string float32 = NewPath(".onnx"), int8 = NewPath(".onnx");
        model.ExportOnnx(float32);
        model.ExportOnnx(int8, new QuantizationOptions { CalibrationSet = images, CalibrationImages = 32, Percentile = null });
        Assert.Equal(("min-max", 32, "noise (in memory)"), (OnnxMetadata.Quantization(int8)!.Method, OnnxMetadata.Quantization(int8)!.Images, OnnxMetadata.Quantization(int8)!.Data));

        using var a = PredictionModel.Load(float32);
        using var b = PredictionModel.Load(int8);
        var sources = Enumerable.Range(0, images.Count).Select(i => new InputImage($"n{i}", 28, 28, false)).ToList();
        var (x, y) = (a.Predict(images, sources), b.Predict(images, sources));
        Assert.Equal(a.Architecture.CodedBlockIndices.Count, y[0].EarlyDecoders!.Count);
        Assert.All(y, p => Assert.InRange(p.Prediction!.Probability, 0, 1));
        double agree = x.Zip(y).Average(p => p.First.Prediction!.Class == p.Second.Prediction!.Class ? 1.0 : 0);
        Assert.True(agree >= 0.9, $"int8 agrees with float on {agree:P1}");
        // An existing file is never overwritten, in int8 as in float32.
        var e = Assert.Throws<InvalidInputException>(() => model.ExportOnnx(int8, new QuantizationOptions { CalibrationSet = images }));
        Assert.Contains("already exists", e.Message);
    }

    [Fact]
    public void A_model_whose_data_cannot_be_read_and_no_calibration_data_is_refused_in_one_line()
    {
        using var network = Trained();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, ClassNames, Signed, "cifar10", []);
        string source = NewPath(".ckpt"), path = NewPath(".onnx");
        ModelFile.Write(source, meta, network);
        var e = Assert.Throws<InvalidInputException>(() => OnnxModelExport.ExportFile(source, path, quantization: new QuantizationOptions()));
        Assert.Equal(nameof(QuantizationOptions.CalibrationData), e.Option);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("int8 needs calibration images, and the cifar10 training set has no default directory", e.Message);
        Assert.False(File.Exists(path));

        // A directory without the dataset's files: said of the same option, in one line.
        string empty = Directory.CreateDirectory(Path.Combine(_directory.Path, "empty")).FullName;
        e = Assert.Throws<InvalidInputException>(() => OnnxModelExport.ExportFile(source, path, quantization: new QuantizationOptions { CalibrationData = empty }));
        Assert.Equal(nameof(QuantizationOptions.CalibrationData), e.Option);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains($"the cifar10 training set in {empty} cannot be read", e.Message);

        e = Assert.Throws<InvalidInputException>(() => OnnxModelExport.ExportFile(source, path,
            quantization: new QuantizationOptions { CalibrationData = "no-such-dataset" }));
        Assert.Contains("'no-such-dataset' is neither a directory nor a dataset", e.Message);
    }
}
