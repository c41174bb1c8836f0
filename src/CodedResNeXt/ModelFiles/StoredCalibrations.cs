using CodedResNeXt.Evaluation;
using CodedResNeXt.Decoding;

namespace CodedResNeXt.ModelFiles;

/// <summary>
/// Early-exit calibrations stored in a checkpoint's metadata (one per target agreement), so that `crx predict
/// --early-exit` needs no calibration images; the weights are never rewritten.
/// </summary>
internal static class StoredCalibrations
{
    /// <summary>The model-file section holding the calibrations stored for a checkpoint, one per target.</summary>
    public const string Section = "early_exit";

    /// <summary>
    /// The calibrations stored in a model file's metadata (none when it holds none), each for the network's coded
    /// blocks with one finite threshold (or none) per block, as calibrating writes them; anything else names the file.
    /// </summary>
    public static IReadOnlyList<EarlyExitCalibration> Stored(ModelMetadata meta, string path)
    {
        if (meta.Sections?.ContainsKey(Section) != true) return [];
        var stored = meta.Section<List<EarlyExitCalibration>>(Section, path);
        var blocks = meta.Architecture.CodedBlockIndices;
        foreach (var c in stored)
            if (c is null || c.CodedBlockIndices is null || c.Thresholds is null || !c.CodedBlockIndices.SequenceEqual(blocks)
                || c.Thresholds.Count != blocks.Count || c.Thresholds.Any(t => t is { } value && !double.IsFinite(value)) || !double.IsFinite(c.Target))
                throw InvalidInputException.ForFile(path, "meta.json's early-exit calibration is not one for this network's coded blocks " +
                                                          "(one finite threshold or none per block)");
        return stored;
    }

    /// <summary>The stored calibration for <paramref name="target"/>; a one-line error naming the file and the stored targets otherwise.</summary>
    public static EarlyExitCalibration StoredFor(ModelMetadata meta, string path, double target)
    {
        var stored = Stored(meta, path);
        return stored.FirstOrDefault(c => Math.Abs(c.Target - target) < 1e-9) ?? throw InvalidInputException.ForFile(path,
            $"holds no early-exit calibration for the target {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}" +
            (stored.Count == 0 ? "" : $" (it holds {string.Join(", ", stored.Select(c => c.Target.ToString(System.Globalization.CultureInfo.InvariantCulture)))})"));
    }

    /// <summary>Stores <paramref name="calibration"/> in a checkpoint's metadata, replacing one for the same target; the weights are untouched.</summary>
    public static void Store(string path, EarlyExitCalibration calibration) =>
        ModelFile.RewriteMetadata(path, meta =>
        {
            if (!meta.Architecture.CodedBlockIndices.SequenceEqual(calibration.CodedBlockIndices))
                throw InvalidInputException.ForFile(path, "the calibration was made for another network's coded blocks");
            var kept = Stored(meta, path).Where(c => Math.Abs(c.Target - calibration.Target) >= 1e-9);
            return meta.WithSection(Section, kept.Append(calibration).OrderBy(c => c.Target).ToList());
        });
}
