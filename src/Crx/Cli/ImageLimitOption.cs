using System.CommandLine;

namespace Crx.Cli;

/// <summary>`--max-image-pixels`, shared by the verbs that decode image files (<see cref="CodedResNeXt.Prediction.PredictionModel.DefaultMaxImagePixels"/>).</summary>
internal static class ImageLimitOption
{
    public static Option<long> Create() => new("--max-image-pixels")
    {
        Description = "Image files declaring more pixels (width x height) are refused before decoding, as decompression bombs; raise it for trusted large images",
        DefaultValueFactory = _ => CodedResNeXt.Prediction.PredictionModel.DefaultMaxImagePixels,
    };

    /// <summary>The value, refused when below 1.</summary>
    public static long Checked(long value) =>
        value >= 1 ? value : throw new CodedResNeXt.InvalidInputException($"--max-image-pixels: {value} must be at least 1");
}
