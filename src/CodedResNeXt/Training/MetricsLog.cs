using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace CodedResNeXt.Training;

/// <summary>
/// Appends each epoch's metrics to runs/NAME/metrics.jsonl and writes the same scalars as TensorBoard
/// event files under runs/NAME/tensorboard (view with `tensorboard --logdir runs`).
/// </summary>
public sealed class MetricsLog
{
    /// <summary>The JSON settings of metrics.jsonl: snake_case, NaN allowed (a figure that was not measured).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN where nothing was measured
    };

    private readonly string _path;
    private readonly TorchSharp.Modules.SummaryWriter _tensorBoard;

    /// <summary>A log in <paramref name="runDirectory"/>: metrics.jsonl and the tensorboard folder, created or appended to.</summary>
    public MetricsLog(string runDirectory)
    {
        _path = Path.Combine(runDirectory, "metrics.jsonl");
        _tensorBoard = torch.utils.tensorboard.SummaryWriter(Path.Combine(runDirectory, "tensorboard"));
    }

    /// <summary>Keeps only the epochs up to <paramref name="lastEpoch"/>, for a resumed run.</summary>
    public void TruncateAfter(int lastEpoch)
    {
        if (!File.Exists(_path)) return;
        var kept = Read(_path).Where(m => m.Epoch <= lastEpoch).Select(m => JsonSerializer.Serialize(m, Json));
        File.WriteAllLines(_path, kept);
    }

    /// <summary>Adds one epoch's line to metrics.jsonl and its scalars to TensorBoard.</summary>
    /// <param name="m">the epoch's figures</param>
    /// <param name="codedBlockIndices">the block index of each coded block, to name the per-block scalars</param>
    public void Append(EpochMetrics m, IReadOnlyList<int> codedBlockIndices)
    {
        File.AppendAllText(_path, JsonSerializer.Serialize(m, Json) + "\n");
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

    /// <summary>Every epoch's figures in a metrics.jsonl file, in file order (blank lines skipped).</summary>
    public static IReadOnlyList<EpochMetrics> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, Json)
                         ?? throw new InvalidInputException($"{path}: empty metrics line"))
            .ToList();
}
