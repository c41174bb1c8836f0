namespace CodedResNeXt.Evaluation;

/// <summary>
/// Per coded block, the margin from which a sample leaves the network there (null: no sample leaves there), calibrated
/// so that the samples leaving at each block agree with the full network's prediction at least at <see cref="Target"/>.
/// </summary>
/// <param name="Target">the agreement with the full network's predictions the exits must reach, in (0, 1]</param>
/// <param name="CodedBlockIndices">index among all blocks of each coded block, parallel to <paramref name="Thresholds"/></param>
/// <param name="Thresholds">per coded block, the margin d2 - d1 from which a sample leaves there; null where none leaves</param>
/// <param name="CalibrationImages">how many images the thresholds were chosen on</param>
public sealed record EarlyExitCalibration(double Target, IReadOnlyList<int> CodedBlockIndices, IReadOnlyList<double?> Thresholds, int CalibrationImages);

/// <summary>What an early-exit evaluation found on a labelled set.</summary>
/// <param name="Calibration">the thresholds that were evaluated</param>
/// <param name="Images">images in the labelled set</param>
/// <param name="Accuracy">top-1 of the early-exit predictions</param>
/// <param name="FullAccuracy">top-1 of the full network on the same images</param>
/// <param name="Agreement">fraction of images whose early-exit prediction equals the full network's</param>
/// <param name="ComputeFraction">mean over images of the fraction of the full network's multiply-accumulates computed</param>
/// <param name="ExitFractions">fraction of images leaving at each coded block (parallel to the calibration's blocks)</param>
public sealed record EarlyExitResult(EarlyExitCalibration Calibration, int Images, double Accuracy, double FullAccuracy, double Agreement,
    // JSON keeps the name crx eval --json has always printed.
    [property: System.Text.Json.Serialization.JsonPropertyName("flops_fraction")] double ComputeFraction, IReadOnlyList<double> ExitFractions);

/// <summary>
/// Whether early exit saves time for a network at a batch size, measured: the early-exit pass and the full network's on
/// the same images. Exiting costs what the full network does not (a decode and a read-back after each coded block with a
/// threshold, the copy of the images still running), and on a small network or a batch few images leave early that
/// cost is larger than what the skipped blocks save.
/// </summary>
/// <param name="Batch">the images per pass the figures were measured at</param>
/// <param name="EarlyExitImagesPerSecond">the early-exit pass, fastest of the timed repeats</param>
/// <param name="FullImagesPerSecond">the full network's pass, fastest of the timed repeats</param>
public sealed record EarlyExitSpeed(int Batch, double EarlyExitImagesPerSecond, double FullImagesPerSecond)
{
    /// <summary>Early exit's speed over the full network's.</summary>
    public double SpeedUp => EarlyExitImagesPerSecond / FullImagesPerSecond;

    /// <summary>Whether exiting is faster than not exiting.</summary>
    public bool Pays => SpeedUp > 1;
}
