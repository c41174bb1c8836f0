using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// The coding scheme generator on the paper's targets (docs/method.md#coding-schemes). One generation is seconds, so
/// a few single runs are measured; each run also fails loudly if the scheme misses its published
/// column-sum range. Run: `dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- --filter '*CodingSchemeGenerator*'`.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class CodingSchemeGeneratorBenchmarks
{
    /// <summary>K, N, N_act, H_min asked (null: searched) and the column-sum range the published scheme reaches.</summary>
    public sealed record Target(string Label, (int Classes, int SubNNs, int Active, int? MinDistance) Request, int MinColumnSum, int MaxColumnSum)
    {
        public override string ToString() => Label;
    }

    public static IEnumerable<Target> Targets =>
    [
        new("cifar10 5/10 H4", (10, 10, 5, 4), 5, 5),
        new("cifar10 3/10 H4", (10, 10, 3, 4), 3, 3),
        new("cifar100 8/20 H8", (100, 20, 8, 8), 40, 40),
        new("cifar100 4/20 H4", (100, 20, 4, 4), 20, 20),
        new("imagenet 16/32 H10", (1000, 32, 16, 10), 499, 501),
        new("imagenet 8/32 H6", (1000, 32, 8, 6), 249, 251),
        // Without a distance, the search packs at 32, 30, ..., 12 before 10 keeps enough words.
        new("imagenet 16/32 H?", (1000, 32, 16, null), 499, 501),
    ];

    [ParamsSource(nameof(Targets))]
    public Target Case { get; set; } = null!;

    [Benchmark]
    public GeneratedCodingScheme Generate()
    {
        var (classes, subNNs, active, minDistance) = Case.Request;
        var result = CodingScheme.Generate(classes, subNNs, active, minDistance);
        var m = result.Scheme;
        if (m.MinColumnSum < Case.MinColumnSum || m.MaxColumnSum > Case.MaxColumnSum)
            throw new InvalidOperationException($"{Case}: column sums {m.MinColumnSum}..{m.MaxColumnSum}, expected within {Case.MinColumnSum}..{Case.MaxColumnSum}");
        return result;
    }
}
