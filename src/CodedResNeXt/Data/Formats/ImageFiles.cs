using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// The files of a streamed dataset, by image index, the geometry they are decoded with, and the most pixels a file
/// may declare (<see cref="ImageDecoder.DefaultMaxPixels"/>).
/// </summary>
/// <param name="paths">the image files, by image index</param>
/// <param name="geometry">the sizes they are decoded and cropped to</param>
/// <param name="maxPixels">the most pixels a file may declare</param>
internal sealed class ImageFiles(IReadOnlyList<string> paths, FolderGeometry geometry, long maxPixels = ImageDecoder.DefaultMaxPixels)
{
    /// <summary>The image files, by image index.</summary>
    public IReadOnlyList<string> Paths { get; } = paths;
    /// <summary>The sizes the files are decoded and cropped to.</summary>
    public FolderGeometry Geometry { get; } = geometry;
    /// <summary>The most pixels a file may declare before it is decoded.</summary>
    public long MaxPixels { get; } = maxPixels;
    /// <summary>The number of files (images).</summary>
    public int Count => Paths.Count;

    /// <summary>The files at <paramref name="indices"/>, in that order, with the same geometry and pixel limit.</summary>
    public ImageFiles Select(IReadOnlyList<int> indices) => new(indices.Select(i => Paths[i]).ToArray(), Geometry, MaxPixels);
}
