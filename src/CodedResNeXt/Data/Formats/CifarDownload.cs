using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace CodedResNeXt.Data.Formats;

/// <summary>One of the official CIFAR binary archives: its file name, published MD5 and top folder.</summary>
/// <param name="FileName">the archive's name on the server and on disk</param>
/// <param name="Md5">its published MD5, lowercase hex</param>
/// <param name="TopFolder">the folder it unpacks to</param>
internal sealed record CifarArchive(string FileName, string Md5, string TopFolder)
{
    /// <summary>CIFAR-10's binary archive (cifar-10-binary.tar.gz), unpacking to cifar-10-batches-bin/.</summary>
    public static readonly CifarArchive Cifar10 = new("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", CifarFormat.Cifar10Folder);
    /// <summary>CIFAR-100's binary archive (cifar-100-binary.tar.gz), unpacking to cifar-100-binary/.</summary>
    public static readonly CifarArchive Cifar100 = new("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", CifarFormat.Cifar100Folder);
}

/// <summary>The steps of a CIFAR download, in order: fetching the archive, checking its MD5, unpacking it, finished.</summary>
internal enum DownloadStage
{
    /// <summary>Fetching the official archive.</summary>
    Downloading,
    /// <summary>Checking the archive's MD5 against the published one.</summary>
    Verifying,
    /// <summary>Unpacking the archive into the data folder.</summary>
    Extracting,
    /// <summary>The dataset is in place.</summary>
    Done,
}

/// <summary>Where a download is. <paramref name="TotalBytes"/> is null when the server does not say.</summary>
/// <param name="File">the archive's file name</param>
/// <param name="Stage">the step under way</param>
/// <param name="Bytes">bytes received while downloading; the archive's size while verifying; 0 otherwise</param>
/// <param name="TotalBytes">the archive's size while downloading, when the server says; null otherwise</param>
internal sealed record DownloadProgress(string File, DownloadStage Stage, long Bytes, long? TotalBytes);

/// <summary>
/// Fetches a CIFAR archive and unpacks it into a data directory, all or nothing: the archive goes to a
/// temporary file, its MD5 is checked against the published one, it is unpacked into a temporary folder,
/// and only then is the top folder renamed into place. A failure at any step leaves no trace.
/// </summary>
internal static class CifarDownload
{
    /// <summary>The CIFAR page of the University of Toronto, where both archives are linked.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://www.cs.toronto.edu/~kriz/");

    private const int ReportEveryBytes = 1 << 20;

    /// <summary>
    /// Downloads <paramref name="archive"/> from <paramref name="baseUrl"/> (default <see cref="DefaultBaseUrl"/>)
    /// and unpacks it so that dataDir/TopFolder holds the files. Returns that folder.
    /// </summary>
    public static string Fetch(CifarArchive archive, string dataDir, Uri? baseUrl = null,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        var url = new Uri(baseUrl ?? DefaultBaseUrl, archive.FileName);
        string destination = Path.Combine(dataDir, archive.TopFolder);
        if (Directory.Exists(destination))
            throw InvalidInputException.ForOption("Download", $"{destination} already exists but does not hold the complete dataset; remove it first");
        try { Directory.CreateDirectory(dataDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InvalidInputException.ForOption("Download", $"cannot create the data directory {dataDir} ({e.Message})");
        }

        // Temporary names that hold this process's id: what a killed download left (162 MB for CIFAR-100) is removed
        // by the next one (OutputFile's convention).
        OutputFile.RemoveStale(dataDir);
        string partial = OutputFile.TemporaryName(dataDir, archive.FileName);
        string staging = OutputFile.TemporaryName(dataDir, archive.TopFolder);
        try
        {
            string md5 = Download(url, partial, archive.FileName, progress, cancel);
            progress?.Report(new DownloadProgress(archive.FileName, DownloadStage.Verifying, new FileInfo(partial).Length, null));
            if (!string.Equals(md5, archive.Md5, StringComparison.OrdinalIgnoreCase))
                throw InvalidInputException.ForOption("Download", $"{url} has MD5 {md5}, expected {archive.Md5}; not the official archive or corrupted in transit (nothing was extracted)");

            progress?.Report(new DownloadProgress(archive.FileName, DownloadStage.Extracting, 0, null));
            Extract(partial, staging, url);
            string unpacked = Path.Combine(staging, archive.TopFolder);
            if (!Directory.Exists(unpacked))
                throw InvalidInputException.ForOption("Download", $"{url} does not contain the folder {archive.TopFolder}/");
            Directory.Move(unpacked, destination);
            progress?.Report(new DownloadProgress(archive.FileName, DownloadStage.Done, 0, null));
            return destination;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Streams the URL into <paramref name="path"/>, hashing as it goes; returns the MD5 in hex.</summary>
    private static string Download(Uri url, string path, string file, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        // No overall timeout: the CIFAR-100 archive is 161 MB; cancellation is the caller's.
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        try
        {
            using var response = http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
                throw InvalidInputException.ForOption("Download", $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            long? total = response.Content.Headers.ContentLength;
            using var body = response.Content.ReadAsStream(cancel);
            using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            var buffer = new byte[1 << 16];
            long received = 0, nextReport = 0;
            progress?.Report(new DownloadProgress(file, DownloadStage.Downloading, 0, total));
            int n;
            while ((n = body.Read(buffer)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                output.Write(buffer, 0, n);
                md5.AppendData(buffer, 0, n);
                received += n;
                if (received >= nextReport)
                {
                    progress?.Report(new DownloadProgress(file, DownloadStage.Downloading, received, total));
                    nextReport = received + ReportEveryBytes;
                }
            }
            if (total is long expected && received != expected)
                throw InvalidInputException.ForOption("Download", $"{url} ended after {received} of {expected} bytes");
            progress?.Report(new DownloadProgress(file, DownloadStage.Downloading, received, total));
        }
        catch (HttpRequestException e)
        {
            throw InvalidInputException.ForOption("Download", $"cannot fetch {url} ({e.Message})");
        }
        catch (IOException e)
        {
            throw InvalidInputException.ForOption("Download", $"fetching {url} into {path} failed ({e.Message})");
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private static void Extract(string archivePath, string folder, Uri url)
    {
        Directory.CreateDirectory(folder);
        try
        {
            using var file = File.OpenRead(archivePath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            // ExtractToDirectory refuses entries that would land outside the folder.
            TarFile.ExtractToDirectory(gzip, folder, overwriteFiles: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            throw InvalidInputException.ForOption("Download", $"{url} is not a readable tar.gz archive ({e.Message})");
        }
    }
}
