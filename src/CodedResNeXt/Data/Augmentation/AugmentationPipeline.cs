namespace CodedResNeXt.Data.Augmentation;

/// <summary>
/// The per-sample work of the loader: uint8 augmentations in order, then per-channel normalization into
/// floats. An evaluation pipeline has no steps and only normalizes.
/// </summary>
internal sealed class AugmentationPipeline
{
    private readonly IAugmentation[] _steps;
    private readonly float[][] _tables;

    /// <summary>A pipeline that applies <paramref name="steps"/> in order, then <paramref name="normalization"/>.</summary>
    public AugmentationPipeline(IEnumerable<IAugmentation> steps, Normalization normalization)
    {
        _steps = steps.ToArray();
        Normalization = normalization;
        _tables = normalization.LookupTables();
    }

    /// <summary>The augmentations, in the order they are applied.</summary>
    public IReadOnlyList<IAugmentation> Steps => _steps;
    /// <summary>The per-channel mean and std the output floats are normalized with.</summary>
    public Normalization Normalization { get; }

    /// <summary>Normalization only: what evaluation uses.</summary>
    public static AugmentationPipeline Evaluation(Normalization normalization) => new([], normalization);

    /// <summary>The training pipeline of <paramref name="options"/>, in the order docs/method.md#training-recipe gives.</summary>
    public static AugmentationPipeline Training(AugmentationOptions options, Normalization normalization)
    {
        var steps = new List<IAugmentation>();
        bool randAugment = options.RandAugment is { Ops: > 0 };
        if (options.ResizedCrop > 0)
        {
            steps.Add(new RandomResizedCrop(options.ResizedCrop));
            if (options.HorizontalFlip) steps.Add(new HorizontalFlip());
            if (randAugment) steps.Add(options.RandAugment!);
        }
        else
        {
            if (randAugment) steps.Add(options.RandAugment!);
            if (options.CropPadding > 0) steps.Add(new PaddedRandomCrop(options.CropPadding));
            if (options.HorizontalFlip) steps.Add(new HorizontalFlip());
        }
        return new AugmentationPipeline(steps, normalization);
    }

    /// <summary>The (channels, height, width) of the output for an input of the given shape.</summary>
    public (int Channels, int Height, int Width) OutputShape(int channels, int height, int width)
    {
        foreach (var step in _steps) (height, width) = step.OutputSize(height, width);
        return (channels, height, width);
    }

    /// <summary>
    /// Augments one image and writes its normalized floats to <paramref name="output"/>, which must hold
    /// exactly the output shape's element count. <paramref name="work"/> is the caller's reusable buffer.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> image, int channels, int height, int width, Random rng, ImageBuffer work, Span<float> output)
    {
        work.Load(image, channels, height, width);
        Apply(work, rng, output);
    }

    /// <summary>Augments the image in <paramref name="image"/> in place, then normalizes it into <paramref name="output"/>.</summary>
    public void Apply(ImageBuffer image, Random rng, Span<float> output)
    {
        int channels = image.Channels;
        if (channels != Normalization.Channels)
            throw new ArgumentException($"the normalization has {Normalization.Channels} channels, the image {channels}");
        foreach (var step in _steps) step.Apply(image, rng);
        int plane = image.Plane;
        if (output.Length != channels * plane)
            throw new ArgumentException($"output holds {output.Length} floats, the image {channels * plane}");
        ReadOnlySpan<byte> result = image.Pixels;
        for (int c = 0; c < channels; c++)
        {
            var table = _tables[c];
            var src = result.Slice(c * plane, plane);
            var dst = output.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = table[src[i]];
        }
    }
}
