using CodedResNeXt.Prediction;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CodedResNeXt.Serving;

/// <summary>A request refused before any model ran: its HTTP status and one line saying why.</summary>
internal sealed class RefusedRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The images of a request: the body itself (one PNG or JPEG; its name from an X-File-Name header), or each file
/// part of a multipart/form-data body. The body is read with a bound (<see cref="ServingOptions.MaxBodyBytes"/>): a
/// larger one is refused (413) as soon as it is seen to be, from its Content-Length or while it arrives.
/// </summary>
internal static class ImageUploads
{
    /// <summary>
    /// How much of a body over the limit is still read (and dropped) before the 413 is sent: a client still sending
    /// when the server closes the connection may lose the answer (the TCP reset discards it), so a body up to this much
    /// over is taken in full, and the 413 reaches its client.
    /// </summary>
    public const long DrainBytes = 1L << 20;

    public static async Task<List<EncodedImage>> Read(HttpRequest request, ServingOptions options, CancellationToken cancel)
    {
        long max = options.MaxBodyBytes;
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = max + DrainBytes;
        if (request.ContentLength > max) throw TooLarge(max);

        var images = new List<EncodedImage>();
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
            if (string.IsNullOrEmpty(boundary) || boundary.Length > 200) throw new RefusedRequestException(400, "the multipart body has no valid boundary");
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024, BodyLengthLimit = max };
            long total = 0;
            while (await reader.ReadNextSectionAsync(cancel) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()) continue;
                if (images.Count == options.MaxImagesPerRequest)
                    throw new RefusedRequestException(413, $"more than {options.MaxImagesPerRequest} images in one request");
                var bytes = await ReadBounded(section.Body, max - total, max, cancel);
                total += bytes.Length;
                string name = Clean(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value)
                              ?? $"image {images.Count + 1}";
                images.Add(new EncodedImage(name, bytes));
            }
            if (images.Count == 0) throw new RefusedRequestException(400, "the multipart body holds no file part");
            return images;
        }
        var body = await ReadBounded(request.Body, max, max, cancel);
        if (body.Length == 0) throw new RefusedRequestException(400, "the request body is empty; send a PNG or JPEG image (or multipart/form-data files)");
        string? header = request.Headers["X-File-Name"].FirstOrDefault();
        images.Add(new EncodedImage(Clean(header is null ? null : Uri.UnescapeDataString(header)) ?? "body", body));
        return images;
    }

    /// <summary>Reads and drops what is left of a refused body, at most <see cref="DrainBytes"/> past the limit; never throws.</summary>
    public static async Task Drain(HttpRequest request, long max, CancellationToken cancel)
    {
        if (request.ContentLength > max + DrainBytes) return;
        var chunk = new byte[81920];
        long left = max + DrainBytes;
        try
        {
            int n;
            while (left > 0 && (n = await request.Body.ReadAsync(chunk, cancel)) > 0) left -= n;
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // The body ended badly or is too long: the connection closes after the answer, which is all that is left to do.
        }
    }

    private static RefusedRequestException TooLarge(long max) => new(413, $"the request body is larger than the limit of {max} bytes");

    private static async Task<byte[]> ReadBounded(Stream body, long room, long max, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            int n;
            try { n = await body.ReadAsync(chunk, cancel); }
            catch (InvalidDataException) { throw TooLarge(max); } // the multipart reader's own bound
            catch (BadHttpRequestException e) { throw new RefusedRequestException(e.StatusCode, e.Message); } // Kestrel's limits: size, data rate
            if (n == 0) return buffer.ToArray();
            if (buffer.Length + n > room) throw TooLarge(max);
            buffer.Write(chunk, 0, n);
        }
    }

    // A client's file name for messages and JSON: its last path segment, no control characters, at most 200 characters.
    private static string? Clean(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        name = name.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var kept = new string(name.Where(c => !char.IsControl(c)).Take(200).ToArray()).Trim();
        return kept.Length == 0 ? null : kept;
    }
}
