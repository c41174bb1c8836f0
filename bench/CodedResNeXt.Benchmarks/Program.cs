using BenchmarkDotNet.Running;

// Runs every benchmark of this assembly: `dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*'`.
// The loader measurements are plain timed runs: `-- jpeg-folder ...` and `-- loader ...` (see LoaderTools).
if (!LoaderTools.TryRun(args))
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
