using CodedResNeXt.Tests.TestSupport;
using System.Security.Cryptography;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Tests.Data;

public class CifarDownloadTests
{
    /// <summary>A small CIFAR-10 archive laid out like the official one (top folder cifar-10-batches-bin/).</summary>
    private static byte[] SmallCifar10Archive()
    {
        using var staging = new TempDirectory();
        DataFixtures.WriteCifar10(staging[CifarFormat.Cifar10Folder]);
        return DataFixtures.TarGz(staging.Path);
    }

    private sealed class Recorder : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) { lock (Reports) Reports.Add(value); }
    }

    [Fact]
    public void Fetches_verifies_and_unpacks_an_archive_from_a_local_server()
    {
        var archive = SmallCifar10Archive();
        using var server = new LocalHttpServer(archive);
        using var data = new TempDirectory();
        var recorder = new Recorder();
        var expected = CifarArchive.Cifar10 with { Md5 = Convert.ToHexStringLower(MD5.HashData(archive)) };

        string folder = CifarDownload.Fetch(expected, data.Path, server.BaseUrl, recorder);

        Assert.Equal(data[CifarFormat.Cifar10Folder], folder);
        Assert.Equal(["/data/cifar-10-binary.tar.gz"], server.Paths);
        Assert.Equal(DataFixtures.CifarImage(21), CifarFormat.LoadCifar10(data.Path).Train.Image(3).ToArray());
        // Only the unpacked folder remains: no partial archive, no staging folder.
        Assert.Equal([folder], Directory.GetFileSystemEntries(data.Path));
        var last = recorder.Reports.Last(r => r.Stage == DownloadStage.Downloading);
        Assert.Equal((long)archive.Length, last.Bytes);
        Assert.Equal((long)archive.Length, last.TotalBytes);
        Assert.Equal(
            [DownloadStage.Downloading, DownloadStage.Verifying, DownloadStage.Extracting, DownloadStage.Done],
            recorder.Reports.Select(r => r.Stage).Distinct());
    }

    [Fact]
    public void What_a_killed_download_left_is_removed_by_the_next_one()
    {
        // A download killed mid-transfer or mid-extraction leaves its partial archive and staging folder (their names
        // hold its process id); the next download into the folder removes them once that process is gone.
        var archive = SmallCifar10Archive();
        using var server = new LocalHttpServer(archive);
        using var data = new TempDirectory();
        string partial = data[$".cifar-10-binary.tar.gz.{int.MaxValue}.{Guid.NewGuid():N}.tmp"];
        string staging = data[$".cifar-10-batches-bin.{int.MaxValue}.{Guid.NewGuid():N}.tmp"];
        File.WriteAllText(partial, "half an archive");
        Directory.CreateDirectory(Path.Combine(staging, "cifar-10-batches-bin"));

        string folder = CifarDownload.Fetch(CifarArchive.Cifar10 with { Md5 = Convert.ToHexStringLower(MD5.HashData(archive)) }, data.Path, server.BaseUrl);

        Assert.Equal([folder], Directory.GetFileSystemEntries(data.Path));
    }

    [Fact]
    public void A_wrong_md5_leaves_nothing_behind()
    {
        // The test archive is not the official one, so the published MD5 cannot match.
        var archive = SmallCifar10Archive();
        using var server = new LocalHttpServer(archive);
        using var data = new TempDirectory();

        var e = Assert.Throws<InvalidInputException>(() =>
            CifarDownload.Fetch(CifarArchive.Cifar10, data.Path, server.BaseUrl));

        Assert.Contains($"has MD5 {Convert.ToHexStringLower(MD5.HashData(archive))}, expected c32a1d4ab5d03f1284b67883e8d87530", e.Message);
        Assert.StartsWith("Download: ", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }

    [Fact]
    public void The_catalog_downloads_only_when_asked_and_checks_the_published_md5()
    {
        using var server = new LocalHttpServer(SmallCifar10Archive());
        using var data = new TempDirectory();
        var options = new DatasetOptions { DataDir = data.Path, DownloadBaseUrl = server.BaseUrl };

        var missing = Assert.Throws<InvalidInputException>(() => DatasetRegistry.Load("cifar10", options));
        Assert.Contains("download option", missing.Message);
        Assert.Equal(0, server.Requests);

        var corrupt = Assert.Throws<InvalidInputException>(() => DatasetRegistry.Load("cifar10", options with { Download = true }));
        Assert.Contains("expected c32a1d4ab5d03f1284b67883e8d87530", corrupt.Message);
        Assert.Equal(1, server.Requests);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }

    [Fact]
    public void The_catalog_does_not_download_what_is_already_there()
    {
        using var server = new LocalHttpServer([1, 2, 3]);
        using var data = new TempDirectory();
        DataFixtures.WriteCifar10(data[CifarFormat.Cifar10Folder]);

        var splits = DatasetRegistry.Load("cifar10", new DatasetOptions { DataDir = data.Path, Download = true, DownloadBaseUrl = server.BaseUrl });

        Assert.Equal(10, splits.Train.Count);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void A_server_that_refuses_connections_gives_a_one_line_error()
    {
        using var data = new TempDirectory();
        // Port 1 on the loopback has no listener: the connection is refused at once.
        var e = Assert.Throws<InvalidInputException>(() =>
            CifarDownload.Fetch(CifarArchive.Cifar100, data.Path, new Uri("http://127.0.0.1:1/")));
        Assert.StartsWith("Download: cannot fetch http://127.0.0.1:1/cifar-100-binary.tar.gz", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(data.Path));
    }
}
