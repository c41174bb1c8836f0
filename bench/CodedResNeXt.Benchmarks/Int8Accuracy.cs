using CodedResNeXt.Data;
using CodedResNeXt.Interop;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Prediction;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// Accuracy of every deployment variant of a checkpoint on its dataset's validation images (Fashion-MNIST: 10,000): TorchSharp
/// float32, ONNX Runtime float32, int8, and int8 with the grouped convolutions float: top-1, every early decoder, and
/// for the coded network each class's extracted binary classifier (threshold fitted on 10,000 training images) in the
/// same variants: precision, recall and F1. Accuracy does not depend on load, so this may run on a busy machine.
/// Everything goes through the library's front door (CodedResNeXtModel, ExtractedClassifier, PredictionModel).
/// Run: dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- int8-accuracy CHECKPOINT [--classifiers]
/// </summary>
public static class Int8Accuracy
{
    public static void Run(string checkpoint, bool classifiers)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"crx-int8-accuracy-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            using var model = CodedResNeXtModel.Load(checkpoint);
            var (train, test) = (model.LoadTrainingSet(), model.LoadValidationSet());
            var sources = Enumerable.Range(0, test.Count).Select(i => new InputImage($"val{i}", test.Width, test.Height, false)).ToList();
            var int8 = new QuantizationOptions();
            Console.WriteLine($"{checkpoint}: {model.Architecture.Name}, {test.Count} validation images; int8 calibrated with {int8.MethodText} " +
                              $"on {int8.CalibrationImages} training images (seed {int8.Seed})");
            var files = new (string Variant, string? Path)[]
            {
                ("TorchSharp float32", null),
                ("ONNX Runtime float32", Path.Combine(folder, "f32.onnx")),
                ("ONNX Runtime int8", Path.Combine(folder, "int8.onnx")),
                ("ONNX Runtime int8, grouped float", Path.Combine(folder, "int8-grouped-float.onnx")),
            };
            model.ExportOnnx(files[1].Path!);
            model.ExportOnnx(files[2].Path!, int8);
            model.ExportOnnx(files[3].Path!, int8 with { QuantizeGroupedConvolutions = false });
            Console.WriteLine("| variant | file | top-1 | agrees with float32 |" + string.Concat(model.Network.CodedBlocks.Select(b => $" early decoder, block {b.BlockIndex} |")));
            IReadOnlyList<ImagePrediction>? reference = null;
            foreach (var (variant, path) in files)
            {
                using var predictor = path is null ? model.Predictor() : PredictionModel.Load(path);
                var p = predictor.Predict(test, sources, 500);
                reference ??= p;
                double top1 = p.Select((x, i) => x.Prediction!.Class == test.Label(i) ? 1.0 : 0).Average();
                double agree = p.Zip(reference).Average(x => x.First.Prediction!.Class == x.Second.Prediction!.Class ? 1.0 : 0);
                var early = Enumerable.Range(0, p[0].EarlyDecoders!.Count)
                    .Select(d => p.Select((x, i) => x.EarlyDecoders![d].Class == test.Label(i) ? 1.0 : 0).Average());
                string size = path is null ? $"{new FileInfo(checkpoint).Length / 1e6:F2} MB (.ckpt)" : $"{new FileInfo(path).Length / 1e6:F2} MB";
                Console.WriteLine($"| {variant} | {size} | {top1:P2} | {agree:P2} |" + string.Concat(early.Select(e => $" {e:P2} |")));
            }
            if (!classifiers) return;

            Console.WriteLine();
            Console.WriteLine("| class | variant | precision | recall | F1 |");
            for (int k = 0; k < model.ClassNames.Count; k++)
            {
                using var classifier = model.ExtractBinaryClassifier(k, train, thresholdSamples: 10_000);
                string f32 = Path.Combine(folder, $"class{k}.onnx"), i8 = Path.Combine(folder, $"class{k}-int8.onnx"), i8g = Path.Combine(folder, $"class{k}-int8-gf.onnx");
                classifier.ExportOnnx(f32);
                classifier.ExportOnnx(i8, int8);
                classifier.ExportOnnx(i8g, int8 with { QuantizeGroupedConvolutions = false });
                foreach (var (variant, path) in new[] { (files[0].Variant, (string?)null), (files[1].Variant, f32), (files[2].Variant, i8), (files[3].Variant, i8g) })
                {
                    using var predictor = path is null ? classifier.Predictor() : PredictionModel.Load(path);
                    var p = predictor.Predict(test, sources, 500);
                    int tp = 0, fp = 0, fn = 0;
                    for (int i = 0; i < p.Count; i++)
                    {
                        bool yes = p[i].Decisions![0].Yes, positive = test.Label(i) == k;
                        if (yes && positive) tp++;
                        else if (yes) fp++;
                        else if (positive) fn++;
                    }
                    double precision = tp / (double)Math.Max(1, tp + fp), recall = tp / (double)Math.Max(1, tp + fn);
                    double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
                    Console.WriteLine($"| {k} {model.ClassNames[k]} | {variant} | {precision:P2} | {recall:P2} | {f1:F4} |");
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
