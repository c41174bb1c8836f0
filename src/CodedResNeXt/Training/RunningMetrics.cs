using static TorchSharp.torch;

namespace CodedResNeXt.Training;

/// <summary>
/// An epoch's running training figures kept on the tensor side: every step adds its detached losses (times the batch
/// size) and its count of correct predictions to one float64 vector, without reading anything back. <see cref="Read"/>
/// is the only host synchronization, done once per progress update and at the epoch's end rather than about
/// 5 + coded-block-count <c>.item()</c> calls per step.
/// Layout: [loss, cross-entropy, coding loss, coding loss of coded block 0, 1, …, correct] (sums over samples).
/// </summary>
internal sealed class RunningMetrics : IDisposable
{
    private const int Fixed = 4;
    private readonly Tensor _sums;
    private readonly int _coded;

    /// <summary>Zeroed sums for a network of <paramref name="codedBlocks"/> coded blocks, kept on <paramref name="device"/>, the device of the losses.</summary>
    public RunningMetrics(int codedBlocks, Device device)
    {
        _coded = codedBlocks;
        _sums = zeros(Fixed + codedBlocks, dtype: ScalarType.Float64, device: device);
    }

    /// <summary>Samples added so far (known on the host: no synchronization).</summary>
    public long Seen { get; private set; }

    /// <summary>Adds one (micro-)batch; every tensor is a scalar of the step's graph except <paramref name="logits"/>.</summary>
    public void Add(Tensor loss, Tensor crossEntropy, CodingLosses coding, Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long count = labels.shape[0];
        var lossParts = new List<Tensor>(Fixed - 1 + _coded) { loss, crossEntropy, coding.Total };
        lossParts.AddRange(coding.PerBlock);
        // The losses are means over the batch, the last entry is already a count. One stack, one cast: every op counts
        // on a small network's step.
        var losses = stack(lossParts).detach().to_type(ScalarType.Float64) * (double)count;
        var correct = logits.detach().argmax(1).eq(labels).sum().to_type(ScalarType.Float64).reshape(1);
        _sums.add_(cat([losses, correct]));
        Seen += count;
    }

    /// <summary>The running means (one host read). Non-finite when any step's loss was non-finite, so a cheap guard can check <see cref="RunningFigures.AllFinite"/>.</summary>
    public RunningFigures Read()
    {
        var sums = _sums.data<double>().ToArray();
        double n = Math.Max(1, Seen);
        return new RunningFigures(sums[0] / n, sums[1] / n, sums[2] / n, sums[^1] / n,
            sums.Skip(3).Take(_coded).Select(s => s / n).ToList(), Seen);
    }

    /// <summary>Frees the sums tensor.</summary>
    public void Dispose() => _sums.Dispose();
}

/// <summary>Means over the samples seen so far of an epoch's training figures.</summary>
/// <param name="Loss">mean total loss</param>
/// <param name="CrossEntropy">mean cross-entropy</param>
/// <param name="CodingLoss">mean summed coding loss, before mu</param>
/// <param name="Accuracy">share of samples whose highest logit was their class, in [0, 1]</param>
/// <param name="CodingLossPerBlock">mean coding loss of each coded block, in block order</param>
/// <param name="Seen">samples the means are over</param>
internal sealed record RunningFigures(double Loss, double CrossEntropy, double CodingLoss, double Accuracy,
    IReadOnlyList<double> CodingLossPerBlock, long Seen)
{
    /// <summary>False once any step produced a non-finite loss (NaN and infinities survive the running sums).</summary>
    public bool AllFinite => double.IsFinite(Loss) && double.IsFinite(CrossEntropy) && double.IsFinite(CodingLoss);
}
