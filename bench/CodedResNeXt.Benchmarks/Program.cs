using BenchmarkDotNet.Running;
using CodedResNeXt.Benchmarks;

// Runs every benchmark of this assembly: `dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*'`.
// The loader measurements are plain timed runs: `-- jpeg-folder ...` and `-- loader ...` (see LoaderTools).
// `-- serve-load --url URL --model NAME --image FILE` measures a running `crx serve` (ServeLoad; bench/serve-load.sh runs the table).
// `-- onnx [repeats]` runs the ONNX export and ONNX Runtime comparison (OnnxInferenceComparison).
if (args.Length > 0 && args[0] == "serve-load")
{
    ServeLoad.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "onnx")
{
    OnnxInferenceComparison.Run(args.Length > 1 ? int.Parse(args[1]) : 5);
    return;
}
// `-- int8-accuracy CHECKPOINT [--classifiers]`: accuracy of the float32 and int8 variants on Fashion-MNIST (Int8Accuracy).
if (args.Length > 1 && args[0] == "int8-accuracy")
{
    Int8Accuracy.Run(args[1], args.Contains("--classifiers"));
    return;
}
if (!LoaderTools.TryRun(args))
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
