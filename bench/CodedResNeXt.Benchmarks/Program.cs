using BenchmarkDotNet.Running;

// Runs every benchmark of this assembly: `dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
