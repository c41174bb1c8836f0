using CodedResNeXt.Model;

namespace CodedResNeXt.Data;

/// <summary>
/// Whether a dataset fits a trained network. The network ends in global average pooling, so images of another
/// size run without an error and give chance-level results; they must be refused instead.
/// </summary>
internal static class ModelInput
{
    /// <summary>
    /// Throws an <see cref="InvalidInputException"/> about <paramref name="option"/> unless <paramref name="data"/>'s
    /// images have the network's channels and size and it has the network's number of classes.
    /// </summary>
    /// <param name="architecture">the trained network's architecture</param>
    /// <param name="data">the images to run through it</param>
    /// <param name="option">the option that chose the data (nameof DatasetOptions.DataDir, or "Dataset")</param>
    /// <param name="source">the data as the user named it (its folder or dataset name)</param>
    /// <param name="model">the model file, for the message</param>
    public static void Require(ArchitectureSpec architecture, ImageDataset data, string option, string source, string model)
    {
        if (data.Channels != architecture.InputChannels || data.Height != architecture.ImageSize || data.Width != architecture.ImageSize)
            throw InvalidInputException.ForOption(option,
                $"{source} holds {data.Channels}x{data.Height}x{data.Width} images but {model} takes " +
                $"{architecture.InputChannels}x{architecture.ImageSize}x{architecture.ImageSize}");
        if (data.ClassCount != architecture.Classes)
            throw InvalidInputException.ForOption(option, $"{source} holds {data.ClassCount} classes but {model} has {architecture.Classes}");
    }

    /// <summary>The images whose class is not among <paramref name="excluded"/> (a run's held-out classes).</summary>
    public static ImageDataset WithoutClasses(ImageDataset data, IReadOnlyList<int> excluded)
    {
        if (excluded.Count == 0) return data;
        var held = excluded.ToHashSet();
        return data.Subset(Enumerable.Range(0, data.Count).Where(i => !held.Contains(data.Label(i))).ToList());
    }
}
