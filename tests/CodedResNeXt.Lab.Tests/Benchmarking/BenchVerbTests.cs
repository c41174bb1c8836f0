using System.Text.Json;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Benchmarking;

public class BenchVerbTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bench_json_has_every_variant_and_figure_and_ratios_of_those_figures(bool materializing)
    {
        using var tmp = new TempDirectory();
        string[] args = ["bench", "--arch", Synthetic.ArchitectureFile(tmp.Path), "--batch", "4",
            "--threads", "1", "--steps", "2", "--repeats", "3", "--min-repeat-seconds", "0", "--json"];
        var (code, output, error) = CrxProcess.Run(tmp.Path, materializing ? [.. args, "--materializing"] : args);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(4, root.GetProperty("batch").GetInt32());
        Assert.True(root.GetProperty("macs_per_image").GetInt64() > 0);
        var variants = root.GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        // The materializing form (the tests' oracle) only on request: it is slow and takes GBs at cifar10 sizes.
        Assert.Equal(materializing ? ["coded", "control", "early exit", "extracted class 0", "materializing"] : ["coded", "control", "early exit", "extracted class 0"],
            variants.Keys.Order());
        // The limit, measured in the same process: every training figure is also a fraction of it.
        var limit = root.GetProperty("limit");
        double flopsPerSecond = limit.GetProperty("flops_per_second").GetDouble();
        Assert.True(flopsPerSecond > 1e8, $"{flopsPerSecond} FLOP/s");
        double trainingFlops = 6.0 * root.GetProperty("macs_per_image").GetInt64();
        foreach (var (name, v) in variants)
        {
            bool trains = name is "coded" or "control" or "materializing";
            Assert.Equal(trains, v.TryGetProperty("training", out var training) && training.ValueKind == JsonValueKind.Object);
            foreach (var figure in trains ? new[] { "training", "inference_batch", "inference_single" } : ["inference_batch", "inference_single"])
            {
                var t = v.GetProperty(figure);
                var repeats = t.GetProperty("repeats").EnumerateArray().Select(r => r.GetDouble()).Order().ToList();
                Assert.Equal(3, repeats.Count);
                Assert.All(repeats, r => Assert.True(r > 0));
                Assert.Equal(repeats[1], t.GetProperty("median").GetDouble(), 9);
                Assert.Equal((repeats[2] - repeats[0]) / repeats[1], t.GetProperty("spread").GetDouble(), 9);
            }
            Assert.True(v.GetProperty("parameters").GetInt64() > 0);
            if (trains)
                Assert.Equal(v.GetProperty("training").GetProperty("median").GetDouble() * trainingFlops / flopsPerSecond,
                    v.GetProperty("training_fraction_of_limit").GetDouble(), 9);
            else
                Assert.False(v.TryGetProperty("training_fraction_of_limit", out var none) && none.ValueKind != JsonValueKind.Null);
            // Linux with glibc (this machine and CI) has both; elsewhere the figures are left out rather than made up.
            if (OperatingSystem.IsLinux())
            {
                Assert.True(v.GetProperty("peak_resident_bytes").GetInt64() > 0);
                Assert.Equal(v.GetProperty("peak_resident_bytes").GetInt64() / 4.0, v.GetProperty("peak_resident_bytes_per_image").GetDouble(), 6);
                Assert.True(v.GetProperty("peak_native_heap_bytes").GetInt64() > 0);
            }
        }
        double Median(string variant, string figure) => variants[variant].GetProperty(figure).GetProperty("median").GetDouble();
        var ratios = root.GetProperty("ratios");
        Assert.Equal(Median("coded", "training") / Median("control", "training"), ratios.GetProperty("coded_over_control_training").GetDouble(), 9);
        Assert.Equal(Median("coded", "inference_batch") / Median("control", "inference_batch"), ratios.GetProperty("coded_over_control_inference").GetDouble(), 9);
        if (materializing)
            Assert.Equal(Median("materializing", "training") / Median("coded", "training"), ratios.GetProperty("materializing_over_fused_training").GetDouble(), 9);
        else
            Assert.False(ratios.TryGetProperty("materializing_over_fused_training", out var none) && none.ValueKind != JsonValueKind.Null);
        Assert.Equal(Median("extracted class 0", "inference_batch") / Median("coded", "inference_batch"), ratios.GetProperty("extracted_over_full_inference").GetDouble(), 9);
        Assert.Equal(Median("early exit", "inference_batch") / Median("coded", "inference_batch"), ratios.GetProperty("early_exit_over_full_inference").GetDouble(), 9);
        Assert.True(variants["extracted class 0"].GetProperty("parameters").GetInt64() < variants["coded"].GetProperty("parameters").GetInt64());
        var exit = root.GetProperty("early_exit");
        Assert.InRange(exit.GetProperty("flops_fraction").GetDouble(), 0, 1);
        Assert.Equal(3, exit.GetProperty("thresholds").GetArrayLength());
    }

    [Fact]
    public void Inference_json_has_every_network_and_variant_with_batch_1_and_B_latency_and_file_sizes()
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = CrxProcess.Run(tmp.Path, "bench", "--inference", "--arch", Synthetic.ArchitectureFile(tmp.Path), "--batch", "4",
            "--threads", "1", "--steps", "2", "--repeats", "3", "--min-repeat-seconds", "0", "--calibration-images", "8", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal((4, 1, 3), (root.GetProperty("batch").GetInt32(), root.GetProperty("threads").GetInt32(), root.GetProperty("repeats").GetInt32()));
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        string full = rows[0].GetProperty("network").GetString()!;
        string[] engines = ["TorchSharp float32", "ONNX Runtime float32", "ONNX Runtime int8", "ONNX Runtime int8, grouped float"];
        Assert.Equal(engines.Select(v => (full, v)).Append((full, "early exit (TorchSharp)")).Concat(engines.Select(v => ($"{full} class 0", v))),
            rows.Select(r => (r.GetProperty("network").GetString()!, r.GetProperty("variant").GetString()!)));
        foreach (var r in rows)
        {
            foreach (var figure in new[] { "single", "batch" })
            {
                var repeats = r.GetProperty(figure).GetProperty("repeats").EnumerateArray().Select(x => x.GetDouble()).Order().ToList();
                Assert.Equal(3, repeats.Count);
                Assert.All(repeats, x => Assert.True(x > 0));
                Assert.Equal(repeats[1], r.GetProperty(figure).GetProperty("median").GetDouble(), 9);
            }
            // One image per call: the median call's time is within the repeats' range of 1 / (images/s), give or take the loop.
            Assert.True(r.GetProperty("latency_p50_milliseconds").GetDouble() > 0);
            Assert.True(r.GetProperty("file_bytes").GetInt64() > 0);
            if (OperatingSystem.IsLinux()) Assert.True(r.GetProperty("peak_resident_bytes").GetInt64() > 0);
        }
        long Bytes(string network, string variant) =>
            rows.Single(r => r.GetProperty("network").GetString() == network && r.GetProperty("variant").GetString() == variant).GetProperty("file_bytes").GetInt64();
        // The full network's files: its checkpoint serves TorchSharp and early exit; the classifier's are smaller.
        Assert.Equal(Bytes(full, "TorchSharp float32"), Bytes(full, "early exit (TorchSharp)"));
        Assert.True(Bytes($"{full} class 0", "ONNX Runtime float32") < Bytes(full, "ONNX Runtime float32"));
    }

    [Fact]
    public void Profile_json_breaks_the_step_into_every_phase_and_the_forward_into_op_kinds()
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = CrxProcess.Run(tmp.Path, "bench", "--arch", Synthetic.ArchitectureFile(tmp.Path), "--batch", "4",
            "--threads", "1", "--steps", "3", "--repeats", "1", "--profile", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(3, root.GetProperty("steps").GetInt32());
        double step = root.GetProperty("step_milliseconds").GetDouble();
        Assert.True(step > 0);
        var phases = root.GetProperty("phases").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        // The tiny architecture has stages c2, c3 (two blocks) and c4.
        Assert.Equal(["backward", "blocks c2", "blocks c3", "blocks c4", "coding loss", "cross-entropy", "data (load, augment, to tensors)",
            "dispose temporaries", "head", "stem", "zero_grad + SGD step"], phases.Keys.Order());
        foreach (var phase in phases.Values)
        {
            double ms = phase.GetProperty("milliseconds").GetDouble();
            Assert.True(ms >= 0);
            Assert.Equal(ms / step, phase.GetProperty("share").GetDouble(), 9);
        }
        var ops = root.GetProperty("forward_ops").EnumerateArray().ToList();
        Assert.Equal(5, ops.Count);
        Assert.Equal(1, ops.Sum(o => o.GetProperty("share").GetDouble()), 9);
    }

    [Fact]
    public void Memory_over_steps_samples_the_resident_set_and_compares_the_last_tenth_with_the_second()
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = CrxProcess.Run(tmp.Path, "bench", "--arch", Synthetic.ArchitectureFile(tmp.Path), "--batch", "4",
            "--threads", "1", "--memory-steps", "30", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        var samples = root.GetProperty("samples").EnumerateArray().Select(s => (Step: s[0].GetInt64(), Bytes: s[1].GetInt64())).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), samples.Select(s => s.Step));
        Assert.All(samples, s => Assert.True(s.Bytes > 0));
        long Median(IEnumerable<long> values) { var v = values.Order().ToList(); return v[v.Count / 2]; }
        long second = Median(samples.Where(s => s.Step is > 3 and <= 6).Select(s => s.Bytes)), last = Median(samples.Where(s => s.Step > 27).Select(s => s.Bytes));
        Assert.Equal(second, root.GetProperty("second_tenth_median").GetInt64());
        Assert.Equal(last, root.GetProperty("last_tenth_median").GetInt64());
        Assert.Equal((double)last / second, root.GetProperty("growth").GetDouble(), 12);
        Assert.True(root.GetProperty("peak_bytes").GetInt64() >= samples.Max(s => s.Bytes));
    }

    [Theory]
    [InlineData("--memory-steps", "5", "crx: error: --memory-steps: 5 are too few to see a trend; give at least 20")]
    [InlineData("--steps", "0", "crx: error: --steps: 0 must be at least 1")]
    [InlineData("--arch", "no-such-preset", "crx: error: --arch")]
    public void Bad_bench_flags_get_one_line_naming_the_flag(string flag, string value, string expected)
    {
        var args = new List<string> { "bench", "--arch", "fashion-tiny", "--steps", "1", "--memory-steps", "20" };
        if (flag != "--memory-steps") args.RemoveRange(args.Count - 2, 2);
        int at = args.IndexOf(flag);
        args[at + 1] = value;
        var (code, _, error) = CrxProcess.Run(Path.GetTempPath(), args.ToArray());
        Assert.Equal(2, code);
        Assert.StartsWith(expected, error.Trim());
        Assert.Single(error.Trim().Split('\n'));
    }
}
