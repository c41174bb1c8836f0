using System.CommandLine;
using CodedResNeXt.Runtime;

namespace Crx.Cli;

/// <summary>`--precision fp32|bf16`, shared by train (and the verbs that train) and bench (<see cref="Autocast"/>).</summary>
internal static class PrecisionOption
{
    public static Option<string?> Create() => new("--precision")
    {
        Description = "Compute precision of training: fp32, or bf16 (bfloat16 convolutions from float32 master weights; BN statistics, energies and losses in float32; needs AVX512-BF16, AMX or CUDA) [fp32]",
    };

    /// <summary>The precision a value names; null (flag left out) gives <paramref name="otherwise"/>.</summary>
    public static Precision Parse(string? value, Precision otherwise) => value?.Trim().ToLowerInvariant() switch
    {
        null => otherwise,
        "fp32" or "float32" => Precision.Float32,
        "bf16" or "bfloat16" => Precision.BFloat16,
        _ => throw new CodedResNeXt.InvalidInputException($"--precision: '{value}' is neither fp32 nor bf16"),
    };

    /// <summary>How the flag spells <paramref name="precision"/>.</summary>
    public static string Show(Precision precision) => precision == Precision.BFloat16 ? "bf16" : "fp32";
}
