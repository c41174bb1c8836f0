using CodedResNeXt.Model;

namespace CodedResNeXt.BinaryClassifiers;

/// <summary>
/// A standalone classifier cut out of a trained Coded ResNeXt (docs/method.md#what-a-trained-network-gives-you): the smaller network that keeps
/// only the kept classes' paths and classifier rows, and its description with one decision threshold per class.
/// Owns the network.
/// </summary>
public sealed class ExtractedClassifier(CodedResNeXtNetwork network, BinaryClassifierInfo info) : IDisposable
{
    public CodedResNeXtNetwork Network { get; } = network;
    public BinaryClassifierInfo Info { get; } = info;

    public void Dispose() => Network.Dispose();
}
