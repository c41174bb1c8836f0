using System.Diagnostics;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// ONNX export of a paper-sized network and inference speed of ONNX Runtime against TorchSharp's eval forward.
/// The cifar10 preset (Coded ResNeXt-29 10x11d) with random weights is saved as a checkpoint-kind model file and as
/// the binary classifier of class 0, both are exported, the file sizes printed; then each engine classifies random
/// 3x32x32 batches of 1 and 32 images with 2 intra-op threads: warm-up passes, then several timed repeats, reported
/// as images/s (median, min, max over the repeats). A plain console run rather than BenchmarkDotNet, because the
/// sizes and the two engines belong in one table.
/// Run: dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- onnx [repeats]
/// </summary>
public static class OnnxInferenceComparison
{
    private const int Threads = 2;

    public static void Run(int repeats)
    {
        set_num_threads(Threads);
        string folder = Path.Combine(Path.GetTempPath(), $"crx-onnx-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var architecture = Presets.Get("cifar10");
            using var network = new CodedResNeXtNetwork(architecture, CodingSchemeSet.BuiltInsAndFiles, generator: new Generator(1));
            network.eval();
            var names = Enumerable.Range(0, architecture.Classes).Select(k => $"class {k}").ToArray();
            var meta = ModelMetadata.Of(Checkpoint.Kind, network, names, Normalization.Unit(3), "random", []);
            string checkpoint = Path.Combine(folder, "cifar10.ckpt"), fullOnnx = Path.Combine(folder, "cifar10.onnx");
            ModelFile.Write(checkpoint, meta, network);
            OnnxModelExport.ExportFile(checkpoint, fullOnnx);

            var binaryNetwork = network.ExtractPathsOf([0]);
            binaryNetwork.eval();
            var binaryMeta = ModelMetadata.Of(BinaryClassifierFile.Kind, binaryNetwork, names, Normalization.Unit(3), "random", []);
            var threshold = new ClassThreshold(0, names[0], 0, 0, 0, 0, 0, 0);
            string classifier = Path.Combine(folder, "cifar10-class0.crxb"), classifierOnnx = Path.Combine(folder, "cifar10-class0.onnx");
            using (var binary = new ExtractedClassifier(binaryNetwork,
                       new BinaryClassifierInfo(binaryMeta, new ClassifierSection([names[0]], [threshold], 0, checkpoint, network.ParameterCount))))
                BinaryClassifierFile.Save(classifier, binary);
            OnnxModelExport.ExportFile(classifier, classifierOnnx);

            Console.WriteLine($"cifar10 preset, {network.ParameterCount:N0} parameters");
            Console.WriteLine($"  model file (.ckpt, safetensors)       {Size(checkpoint)}");
            Console.WriteLine($"  ONNX, logits + energies               {Size(fullOnnx)}");
            Console.WriteLine($"  class-0 classifier (.crxb)            {Size(classifier)}");
            Console.WriteLine($"  class-0 classifier ONNX, logit        {Size(classifierOnnx)}");
            Console.WriteLine();
            Console.WriteLine($"images/s, {Threads} threads, median [min, max] over {repeats} repeats (machine shared with other work)");

            var (full, _) = ModelFile.Load(checkpoint);
            var extracted = BinaryClassifierFile.Load(classifier);
            using (full)
            using (extracted)
            using (var fullOrt = OnnxModel.Load(fullOnnx, Threads))
            using (var classifierOrt = OnnxModel.Load(classifierOnnx, Threads))
                foreach (int batch in new[] { 1, 32 })
                {
                    using var images = randn([batch, 3, 32, 32], generator: new Generator(2));
                    float[] pixels = images.data<float>().ToArray();
                    Report("full network", "TorchSharp", batch, repeats, () => Forward(full, images));
                    Report("full network", "ONNX Runtime", batch, repeats, () => fullOrt.Run(pixels, batch));
                    Report("class-0 classifier", "TorchSharp", batch, repeats, () => Forward(extracted.Network, images));
                    Report("class-0 classifier", "ONNX Runtime", batch, repeats, () => classifierOrt.Run(pixels, batch));
                }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Forward(CodedResNeXtNetwork network, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.call(images);
    }

    private static void Report(string model, string engine, int batch, int repeats, Action run)
    {
        // At batch 1 one pass is a few milliseconds: time enough passes per repeat to be above the timer's noise.
        int passes = batch == 1 ? 20 : 2;
        // Warm-up: libtorch and ONNX Runtime both prepare kernels and buffers on their first passes.
        for (int p = 0; p < passes; p++) run();
        var rates = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int p = 0; p < passes; p++) run();
            rates.Add(passes * batch / clock.Elapsed.TotalSeconds);
        }
        rates.Sort();
        Console.WriteLine($"  {model,-20} {engine,-13} batch {batch,2}: {rates[rates.Count / 2],8:F1}  [{rates[0]:F1}, {rates[^1]:F1}]");
    }

    private static string Size(string path) => $"{new FileInfo(path).Length / 1e6,7:F2} MB";
}
