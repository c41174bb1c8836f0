using System.Text.RegularExpressions;

namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// RandAugment (Cubuk et al. 2020) as torchvision implements it: <paramref name="Ops"/> operations drawn
/// uniformly with replacement from the 14 of <see cref="RandAugmentOp"/>, each at magnitude level
/// <paramref name="Magnitude"/> of 31 bins (0..30), negated with probability 1/2 for the signed ops.
/// docs/method.md#training-recipe uses (3, 4) for CIFAR-10, (1, 2) for CIFAR-100 and (2, 10) for ImageNet.
/// </summary>
/// <param name="Ops">operations per image; 0 is none</param>
/// <param name="Magnitude">the magnitude level, 0..30</param>
public sealed partial record RandAugment(int Ops, int Magnitude) : IAugmentation
{
    /// <summary>Number of magnitude bins; levels run 0..Levels-1.</summary>
    public const int Levels = 31;

    private static readonly RandAugmentOp[] AllOps = Enum.GetValues<RandAugmentOp>();

    /// <summary>Applies <see cref="Ops"/> random operations to <paramref name="image"/> in place, each at <see cref="Magnitude"/>, signed at random where the op is signed.</summary>
    void IAugmentation.Apply(ImageBuffer image, Random rng)
    {
        for (int i = 0; i < Ops; i++)
        {
            var op = AllOps[rng.Next(AllOps.Length)];
            float magnitude = MagnitudeOf(op, Magnitude, image.Height, image.Width);
            if (IsSigned(op) && rng.Next(2) == 1) magnitude = -magnitude;
            RandAugmentOps.Apply(image, op, magnitude);
        }
    }

    /// <summary>torchvision's bins: linspace(0, max, 31)[level], with posterize bits and solarize threshold descending.</summary>
    internal static float MagnitudeOf(RandAugmentOp op, int level, int height, int width)
    {
        if (level < 0 || level >= Levels) throw new ArgumentOutOfRangeException(nameof(level), level, $"magnitude levels are 0..{Levels - 1}");
        float t = level / (float)(Levels - 1);
        return op switch
        {
            RandAugmentOp.ShearX or RandAugmentOp.ShearY => 0.3f * t,
            RandAugmentOp.TranslateX => 150f / 331f * width * t,
            RandAugmentOp.TranslateY => 150f / 331f * height * t,
            RandAugmentOp.Rotate => 30f * t,
            RandAugmentOp.Brightness or RandAugmentOp.Color or RandAugmentOp.Contrast or RandAugmentOp.Sharpness => 0.9f * t,
            RandAugmentOp.Posterize => 8 - (int)Math.Round(level / ((Levels - 1) / 4.0)),
            RandAugmentOp.Solarize => 255f * (1 - t),
            _ => 0f,
        };
    }

    /// <summary>Whether <paramref name="op"/>'s magnitude is negated with probability 1/2 (geometric ops and enhancements; not posterize, solarize, autocontrast, equalize or identity).</summary>
    internal static bool IsSigned(RandAugmentOp op) => op is RandAugmentOp.ShearX or RandAugmentOp.ShearY
        or RandAugmentOp.TranslateX or RandAugmentOp.TranslateY or RandAugmentOp.Rotate
        or RandAugmentOp.Brightness or RandAugmentOp.Color or RandAugmentOp.Contrast or RandAugmentOp.Sharpness;

    /// <summary>Parses "n&lt;ops&gt;-m&lt;magnitude&gt;" such as "n3-m4"; "none" gives zero operations.</summary>
    public static RandAugment Parse(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Equals("none", StringComparison.OrdinalIgnoreCase)) return new RandAugment(0, 0);
        var match = Pattern().Match(trimmed);
        if (!match.Success)
            throw InvalidInputException.ForOption(nameof(AugmentationOptions.RandAugment), $"expected n<ops>-m<magnitude> such as n3-m4 (or none), got '{text}'");
        if (!int.TryParse(match.Groups[1].Value, out int ops) || ops > 100)
            throw InvalidInputException.ForOption(nameof(AugmentationOptions.RandAugment), $"the number of operations in '{text}' must be 0..100");
        if (!int.TryParse(match.Groups[2].Value, out int magnitude) || magnitude >= Levels)
            throw InvalidInputException.ForOption(nameof(AugmentationOptions.RandAugment), $"the magnitude in '{text}' must be 0..{Levels - 1}");
        return new RandAugment(ops, magnitude);
    }

    /// <summary>"n&lt;ops&gt;-m&lt;magnitude&gt;", or "none" for zero operations: the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => Ops == 0 ? "none" : $"n{Ops}-m{Magnitude}";

    [GeneratedRegex(@"^n(\d+)-m(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
