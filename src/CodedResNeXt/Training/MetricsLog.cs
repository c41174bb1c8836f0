using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace CodedResNeXt.Training;

/// <summary>
/// Writes each epoch's metrics to runs/NAME/metrics.jsonl (the whole log, atomically) and the same scalars as TensorBoard
/// event files under runs/NAME/tensorboard (view with `tensorboard --logdir runs`).
/// </summary>
internal sealed class MetricsLog
{
    /// <summary>The JSON settings of metrics.jsonl: snake_case, NaN allowed (a figure that was not measured).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN where nothing was measured
        AllowDuplicateProperties = false,
    };

    private readonly string _path;
    private readonly TorchSharp.Modules.SummaryWriter _tensorBoard;

    /// <summary>A log in <paramref name="runDirectory"/>: metrics.jsonl and the tensorboard folder, created or appended to.</summary>
    public MetricsLog(string runDirectory)
    {
        _path = Path.Combine(runDirectory, "metrics.jsonl");
        // TorchSharp's writer creates its event files in this folder: a link planted there would take them elsewhere.
        _tensorBoard = torch.utils.tensorboard.SummaryWriter(OutputFile.Subfolder(runDirectory, "tensorboard"));
    }

    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>The epochs logged so far, in order (what a checkpoint stores as its copy of the log).</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>Keeps only the epochs up to <paramref name="lastEpoch"/>, for a resumed run.</summary>
    public void TruncateAfter(int lastEpoch) => Repair(lastEpoch, [], null);

    /// <summary>
    /// Puts the log back to what the checkpoint says is done, for a resumed run: the epochs up to
    /// <paramref name="lastEpoch"/>, one line each. Lines a kill cut short or damaged are dropped, and an epoch the
    /// file lacks (an emptied or truncated log) is taken from <paramref name="saved"/>, the checkpoint's copy of the
    /// log, or at least its own last epoch <paramref name="last"/>; lines the file holds after that epoch (written
    /// before a kill, for an epoch whose checkpoint never landed) go. Rewritten atomically.
    /// </summary>
    public void Repair(int lastEpoch, IReadOnlyList<EpochMetrics> saved, EpochMetrics? last)
    {
        var byEpoch = new SortedDictionary<int, EpochMetrics>();
        if (File.Exists(_path))
            foreach (var m in ReadValid(_path)) byEpoch.TryAdd(m.Epoch, m);
        foreach (var m in saved) byEpoch.TryAdd(m.Epoch, m);
        if (last is not null) byEpoch.TryAdd(last.Epoch, last);
        _epochs.Clear();
        _epochs.AddRange(byEpoch.Values.Where(m => m.Epoch >= 1 && m.Epoch <= lastEpoch));
        Save();
    }

    // The whole log, rewritten atomically (a few KB an epoch): a kill mid-write leaves the previous log, never a cut line,
    // and a link planted as metrics.jsonl is replaced, not written through (appending followed it).
    private void Save() => OutputFile.WriteText(_path, string.Concat(_epochs.Select(m => JsonSerializer.Serialize(m, Json) + "\n")));

    /// <summary>Adds one epoch's line to metrics.jsonl and its scalars to TensorBoard.</summary>
    /// <param name="m">the epoch's figures</param>
    /// <param name="codedBlockIndices">the block index of each coded block, to name the per-block scalars</param>
    public void Append(EpochMetrics m, IReadOnlyList<int> codedBlockIndices)
    {
        _epochs.Add(m);
        Save();
        _tensorBoard.add_scalar("train/loss", (float)m.TrainLoss, m.Epoch);
        _tensorBoard.add_scalar("train/cross_entropy", (float)m.TrainCrossEntropy, m.Epoch);
        _tensorBoard.add_scalar("train/coding_loss", (float)m.TrainCodingLoss, m.Epoch);
        _tensorBoard.add_scalar("train/accuracy", (float)m.TrainAccuracy, m.Epoch);
        _tensorBoard.add_scalar("val/top1", (float)m.ValidationTop1, m.Epoch);
        if (m.ValidationTop5 is { } top5) _tensorBoard.add_scalar("val/top5", (float)top5, m.Epoch);
        _tensorBoard.add_scalar("lr", (float)m.LearningRate, m.Epoch);
        _tensorBoard.add_scalar("images_per_second", (float)m.ImagesPerSecond, m.Epoch);
        for (int i = 0; i < codedBlockIndices.Count; i++)
        {
            _tensorBoard.add_scalar($"train/coding_loss_block{codedBlockIndices[i]}", (float)m.CodingLossPerBlock[i], m.Epoch);
            _tensorBoard.add_scalar($"val/early_decoder_block{codedBlockIndices[i]}", (float)m.EarlyDecoderAccuracy[i], m.Epoch);
        }
    }

    /// <summary>The longest metrics.jsonl a run can write: 10^5 epochs of a few KB.</summary>
    private const long MaxBytes = 1L << 30;

    /// <summary>Every line of a metrics.jsonl; a malformed line is an error naming the file and the line.</summary>
    public static IReadOnlyList<EpochMetrics> Read(string path)
    {
        var lines = InputFile.ReadText(path, MaxBytes, "metrics log").Split('\n');
        var epochs = new List<EpochMetrics>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            epochs.Add(Parse(lines[i]) ?? throw InvalidInputException.ForFile(path,
                $"line {i + 1} is not an epoch's metrics{(i == lines.Length - 1 ? " (cut short: resume the run to repair the log)" : "")}"));
        }
        return epochs;
    }

    /// <summary>The lines of a metrics.jsonl that parse, skipping any others (the one a kill cut short).</summary>
    private static IEnumerable<EpochMetrics> ReadValid(string path) =>
        InputFile.ReadText(path, MaxBytes, "metrics log").Split('\n').Select(Parse).OfType<EpochMetrics>();

    private static EpochMetrics? Parse(string line)
    {
        if (line.Trim().Length == 0) return null;
        try { return JsonSerializer.Deserialize<EpochMetrics>(line, Json); }
        catch (JsonException) { return null; }
    }
}
