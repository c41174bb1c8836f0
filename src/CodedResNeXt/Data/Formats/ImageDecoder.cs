using CodedResNeXt.Data.Augmentation;
using CodedResNeXt.Prediction;
using SkiaSharp;

namespace CodedResNeXt.Data.Formats;

/// <summary>
/// Decodes JPEG and PNG files with SkiaSharp, refusing partial images: a truncated or corrupt file is an
/// <see cref="InvalidInputException"/> naming it, not the decoded top of the image with the rest filled in.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>
    /// The default limit on the pixels an image file may declare, PIL's MAX_IMAGE_PIXELS (1 GiB / 4 / 3, about
    /// 89.5 megapixels): the decoded RGBA bitmap of such an image takes 341 MiB, every real photograph of a dataset
    /// is far below it, and Python users of the field already meet the same limit. A small file can declare far
    /// more (a 514 KB PNG of 23000x23000 decodes to 2 GB), so the header is checked before anything is decoded.
    /// </summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>
    /// The most pixels an image file holds per byte: a PNG of 1-bit pixels (8 a byte) compressed at deflate's largest
    /// ratio (1032 to 1); a JPEG needs at least 2 bits per 8x8 block of each component (256 pixels a byte). A file
    /// declaring more is not an image but a decompression bomb, refused before it is decoded.
    /// </summary>
    public const long MaxPixelsPerByte = 8 * 1032;


    /// <summary>
    /// Decodes <paramref name="path"/> as RGBA at the smallest size the codec offers whose shorter side is still
    /// at least <paramref name="minSide"/> (JPEG scales by 1/2..1/8 while decoding, which is most of the saving
    /// on large photos; PNG only at full size). 0 means full size.
    /// </summary>
    /// <param name="path">the image file (PNG or JPEG)</param>
    /// <param name="minSide">the shorter side the decoded image must keep at least; 0 for full size</param>
    /// <param name="maxPixels">the most pixels the file may declare (<see cref="DefaultMaxPixels"/>); more is refused before decoding</param>
    public static SKBitmap DecodeBitmap(string path, int minSide, long maxPixels = DefaultMaxPixels) =>
        DecodeBitmap(Open(path, maxPixels), path, minSide);

    /// <summary>The same for an image file's contents held in memory (an upload), named by <see cref="EncodedImage.Name"/> in errors.</summary>
    internal static SKBitmap DecodeBitmap(EncodedImage image, int minSide, long maxPixels = DefaultMaxPixels) =>
        DecodeBitmap(Open(image, maxPixels), image.Name, minSide);

    private static SKBitmap DecodeBitmap(SKCodec opened, string path, int minSide)
    {
        using var codec = opened;
        var size = codec.Info.Size;
        if (minSide > 0)
        {
            float scale = Math.Min(1f, (float)minSide / Math.Min(size.Width, size.Height));
            var scaled = codec.GetScaledDimensions(scale);
            if (Math.Min(scaled.Width, scaled.Height) >= minSide) size = scaled;
        }
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidInputException($"{path}: cannot decode image ({Describe(result)})");
        }
        return bitmap;
    }

    /// <summary>
    /// A codec for the file, its header read: a regular file (a FIFO would block the decoder) whose declared size
    /// is at most <paramref name="maxPixels"/>.
    /// </summary>
    public static SKCodec Open(string path, long maxPixels = DefaultMaxPixels)
    {
        InputFile.RequireRegular(path, "image");
        return Checked(SKCodec.Create(path, out var opened), opened, path, new FileInfo(path).Length, maxPixels);
    }

    /// <summary>A codec for an image file's contents held in memory, its header read and checked as a file's is.</summary>
    internal static SKCodec Open(EncodedImage image, long maxPixels = DefaultMaxPixels)
    {
        var stream = new SKMemoryStream(image.Bytes);
        // The codec owns the stream (and frees it when it cannot read it).
        var codec = SKCodec.Create(stream, out var opened);
        return Checked(codec, opened, image.Name, image.Bytes.LongLength, maxPixels);
    }

    private static SKCodec Checked(SKCodec? codec, SKCodecResult opened, string path, long bytes, long maxPixels)
    {
        if (codec is null)
            throw new InvalidInputException(opened == SKCodecResult.IncompleteInput
                ? $"{path}: cannot decode image ({Describe(opened)})"
                : $"{path}: cannot decode image (not a readable JPEG or PNG)");
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
        {
            codec.Dispose();
            throw new InvalidInputException($"{path}: the image declares {info.Width}x{info.Height} = {pixels} pixels, " +
                $"more than the limit of {maxPixels} (raise it with --max-image-pixels if the file is trusted)");
        }
        // Decoding costs what the image declares, which a few bytes can: the declared pixels must be what a file of
        // this size can hold, so that decoding stays linear in the file.
        if (pixels > MaxPixelsPerByte * Math.Max(bytes, 1))
        {
            codec.Dispose();
            throw new InvalidInputException($"{path}: the image declares {info.Width}x{info.Height} = {pixels} pixels in a file of {bytes} bytes; " +
                $"no PNG or JPEG holds more than {MaxPixelsPerByte} pixels a byte (a decompression bomb)");
        }
        return codec;
    }

    /// <summary>Decodes <paramref name="path"/> into <paramref name="into"/> as 3 RGB planes (see <see cref="DecodeBitmap(string, int, long)"/>).</summary>
    public static void Decode(string path, int minSide, ImageBuffer into, long maxPixels = DefaultMaxPixels) =>
        Planes(DecodeBitmap(path, minSide, maxPixels), into);

    /// <summary>The same for an image file's contents held in memory (an upload).</summary>
    internal static void Decode(EncodedImage image, int minSide, ImageBuffer into, long maxPixels = DefaultMaxPixels) =>
        Planes(DecodeBitmap(image, minSide, maxPixels), into);

    private static void Planes(SKBitmap decoded, ImageBuffer into)
    {
        using var bitmap = decoded;
        int w = bitmap.Width, h = bitmap.Height, plane = w * h, rowBytes = bitmap.RowBytes;
        var planes = into.Reset(3, h, w);
        var rgba = bitmap.GetPixelSpan();
        for (int y = 0; y < h; y++)
        {
            var row = rgba.Slice(y * rowBytes, 4 * w);
            var r = planes.Slice(y * w, w);
            var g = planes.Slice(plane + y * w, w);
            var b = planes.Slice(2 * plane + y * w, w);
            for (int x = 0; x < w; x++)
            {
                r[x] = row[4 * x];
                g[x] = row[4 * x + 1];
                b[x] = row[4 * x + 2];
            }
        }
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated: its data ends before the image does",
        SKCodecResult.ErrorInInput => "the image data is corrupt",
        SKCodecResult.InvalidInput => "not a JPEG or PNG file, or its header is damaged",
        SKCodecResult.Unimplemented => "an image format or variant SkiaSharp cannot decode",
        _ => $"SkiaSharp reports {result}",
    };
}
