using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Data;

/// <summary>Where and how <see cref="DatasetRegistry.Load"/> finds a dataset.</summary>
public sealed record DatasetOptions
{
    /// <summary>The data directory; null means the dataset's default (only Fashion-MNIST has one).</summary>
    public string? DataDir { get; init; }
    /// <summary>CIFAR only: fetch the official archive into DataDir when the files are not there.</summary>
    public bool Download { get; init; }
    /// <summary>Where the CIFAR archives are fetched from; null means the CIFAR authors' site, https://www.cs.toronto.edu/~kriz/.</summary>
    public Uri? DownloadBaseUrl { get; init; }
    /// <summary>CIFAR only: told how a download goes (bytes received, then checking, unpacking, done); null reports nothing.</summary>
    internal IProgress<DownloadProgress>? DownloadProgress { get; init; }
    /// <summary>CIFAR-100 only: label with the 20 coarse superclasses instead of the 100 fine classes.</summary>
    public bool CoarseLabels { get; init; }
    /// <summary>Folder datasets only: the side of the network's input, the centre crop of evaluation.</summary>
    public int ImageSize { get; init; } = 160;
    /// <summary>Folder datasets only: the shorter side before that crop; null is the 256/224 ratio.</summary>
    public int? ResizeSize { get; init; }
    /// <summary>
    /// Folder datasets only: the most pixels an image file may declare; a file declaring more is refused before it
    /// is decoded (the default, <see cref="Prediction.PredictionModel.DefaultMaxImagePixels"/>, is PIL's limit).
    /// </summary>
    public long MaxImagePixels { get; init; } = Formats.ImageDecoder.DefaultMaxPixels;
}
