using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.ModelFiles;
using Microsoft.ML.OnnxRuntime;
using ModelMetadata = CodedResNeXt.ModelMetadata;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// The calibration of an int8 export: the images it runs (<see cref="Images"/>) and the range of every activation the
/// quantized graph quantizes, measured by running the folded float graph's taps (<see cref="QdqLayers.Calibrating"/>)
/// in ONNX Runtime over them.
/// </summary>
internal static class OnnxCalibration
{
    /// <summary>Images run at once, at most.</summary>
    private const int MaxBatchSize = 64;
    /// <summary>Activation values a calibration batch may hold (every tap is an output at once): 1 GiB of floats.</summary>
    private const double MaxBatchValues = 256e6;
    /// <summary>Bins of the histogram the percentile is read from, over each activation's [min, max].</summary>
    private const int Bins = 4096;

    /// <summary>
    /// The calibration images of a model with metadata <paramref name="meta"/>, drawn from <paramref name="options"/>' data,
    /// and how to name where they came from; an <see cref="InvalidInputException"/> about CalibrationData when there are none.
    /// </summary>
    public static (ImageDataset Images, string Source) Images(ModelMetadata meta, QuantizationOptions options)
    {
        if (options.CalibrationImages < 1)
            throw InvalidInputException.ForOption(nameof(QuantizationOptions.CalibrationImages), $"{options.CalibrationImages} must be at least 1");
        var (data, source) = options.CalibrationSet is { } set ? (set, $"{set.Name} (in memory)") : Load(meta, options.CalibrationData);
        var arch = meta.Architecture;
        data = data.FittedTo(meta.InputTransform);
        if (data.Channels != arch.InputChannels || (!data.IsStreamed && (data.Height != arch.ImageSize || data.Width != arch.ImageSize)))
            throw InvalidInputException.ForOption(nameof(QuantizationOptions.CalibrationData),
                $"{source} holds {data.Channels}x{data.Height}x{data.Width} images but the model takes {arch.InputChannels}x{arch.ImageSize}x{arch.ImageSize}");
        if (data.Count == 0) throw InvalidInputException.ForOption(nameof(QuantizationOptions.CalibrationData), $"{source} holds no images");
        var indices = Enumerable.Range(0, data.Count).ToArray();
        int count = Math.Min(options.CalibrationImages, data.Count);
        // The first `count` places of a seeded Fisher-Yates shuffle: a draw without replacement.
        var random = new Random(options.Seed);
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, indices.Length);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        return (data.Subset(indices[..count]), source);
    }

    private static (ImageDataset, string) Load(ModelMetadata meta, string? given)
    {
        const string option = nameof(QuantizationOptions.CalibrationData);
        DatasetDefinition? dataset = DatasetRegistry.TryGet(meta.Dataset);
        string? directory = null;
        if (given is not null)
        {
            if (Directory.Exists(given)) directory = given;
            else dataset = DatasetRegistry.TryGet(given)
                ?? throw InvalidInputException.ForOption(option, $"'{given}' is neither a directory nor a dataset ({string.Join(", ", DatasetRegistry.Names)})");
        }
        if (dataset is null)
            throw InvalidInputException.ForOption(option, $"int8 needs calibration images, and the model's dataset '{meta.Dataset}' is not a registered dataset; give a dataset or its directory");
        string source = directory is null ? $"the {dataset.Name} training set" : $"the {dataset.Name} training set in {directory}";
        if (directory is null && dataset.DefaultDataDirectory is null)
            throw InvalidInputException.ForOption(option, $"int8 needs calibration images, and {source} has no default directory; give a dataset or its directory");
        var where = new DatasetOptions
        {
            DataDir = directory, ImageSize = meta.Architecture.ImageSize, ResizeSize = meta.InputTransform.Resize,
            CoarseLabels = dataset.UsesCoarseLabels(meta.Architecture.Classes),
        };
        try { return (DatasetRegistry.Load(dataset.Name, where).Train, source); }
        catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException)
        {
            throw InvalidInputException.ForOption(option,
                $"int8 needs calibration images, and {source} cannot be read ({e.Message.Split('\n')[0]}); give a dataset or its directory");
        }
    }

    /// <summary>
    /// The range of every tap of <paramref name="calibrationGraph"/> over <paramref name="images"/> (normalized by
    /// <paramref name="meta"/>'s input transform): min and max, then for a percentile a histogram over them.
    /// </summary>
    public static Dictionary<string, ActivationRange> Measure(byte[] calibrationGraph, IReadOnlyList<string> taps, ImageDataset images,
        ModelMetadata meta, QuantizationOptions options)
    {
        if (options.Percentile is { } asked && !(asked > 50 && asked <= 100))
            throw InvalidInputException.ForOption(nameof(QuantizationOptions.Percentile), $"{options.Percentile} is not a percentile in (50, 100]");
        using var sessionOptions = new SessionOptions { InterOpNumThreads = 1 };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = new InferenceSession(calibrationGraph, sessionOptions);
        var names = taps.Select(QdqLayers.TapName).ToArray();
        // Every tap of a batch is held at once: an ImageNet-sized network runs fewer images at a time.
        var (_, activations) = meta.Architecture.SizeEstimate();
        int batchSize = (int)Math.Clamp(MaxBatchValues / Math.Max(1, activations), 1, MaxBatchSize);
        var loader = BatchLoader.ForEvaluation(images, meta.InputTransform.Normalization, batchSize);

        var min = Enumerable.Repeat(float.PositiveInfinity, taps.Count).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, taps.Count).ToArray();
        Pass(session, names, loader, (t, values) =>
        {
            foreach (float v in values)
            {
                if (v < min[t]) min[t] = v;
                if (v > max[t]) max[t] = v;
            }
        });
        for (int t = 0; t < taps.Count; t++)
            if (!float.IsFinite(min[t]) || !float.IsFinite(max[t]))
                throw new InvalidInputException($"the network computes non-finite activations ({taps[t]}) from the calibration images: its weights are not a trained network's");
        if (options.Percentile is not { } percentile)
            return taps.Select((key, t) => (key, new ActivationRange(min[t], max[t]))).ToDictionary(p => p.key, p => p.Item2);

        var histograms = taps.Select(_ => new long[Bins]).ToArray();
        Pass(session, names, loader, (t, values) =>
        {
            float lo = min[t], width = (max[t] - min[t]) / Bins;
            var counts = histograms[t];
            foreach (float v in values)
                counts[width > 0 ? Math.Clamp((int)((v - lo) / width), 0, Bins - 1) : 0]++;
        });
        var ranges = new Dictionary<string, ActivationRange>(StringComparer.Ordinal);
        double share = percentile / 100;
        for (int t = 0; t < taps.Count; t++)
        {
            float width = (max[t] - min[t]) / Bins;
            var counts = histograms[t];
            long total = counts.Sum();
            // The upper edge of the bin where the cumulative count reaches the share, and the lower edge of the one
            // where it passes 1 - share: everything between is kept.
            long seen = 0;
            int upper = Bins - 1, lower = 0;
            for (int b = 0; b < Bins; b++)
            {
                seen += counts[b];
                if (seen >= share * total) { upper = b; break; }
            }
            seen = 0;
            for (int b = 0; b < Bins; b++)
            {
                seen += counts[b];
                if (seen > (1 - share) * total) { lower = b; break; }
            }
            ranges[taps[t]] = new ActivationRange(min[t] + lower * width, Math.Min(max[t], min[t] + (upper + 1) * width));
        }
        return ranges;
    }

    private static void Pass(InferenceSession session, string[] names, BatchLoader loader, Action<int, ReadOnlySpan<float>> see)
    {
        var (c, h, w) = loader.SampleShape;
        using var runOptions = new RunOptions();
        foreach (var batch in loader.Epoch(0))
        {
            using var input = OrtValue.CreateTensorValueFromMemory(batch.Images.ToArray(), [batch.Count, c, h, w]);
            using var results = session.Run(runOptions, [OnnxExport.Input], [input], names);
            for (int t = 0; t < names.Length; t++) see(t, results[t].GetTensorDataAsSpan<float>());
        }
    }
}
