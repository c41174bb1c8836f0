using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Tests.Data;

public class IdxFormatTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_the_four_official_files_gzipped_or_raw(bool gzip)
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxDirectory(dir.Path, gzip);

        var (train, test) = IdxFormat.LoadDirectory(dir.Path, "fashion-mnist", IdxFormat.FashionMnistClasses);

        Assert.Equal((6, 1, 5, 4), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(4, test.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], train.Labels);
        Assert.Equal([3, 4, 5, 6], test.Labels);
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        // Pixel (y=2, x=3) of image 4 is (4*31 + 2*7 + 3) mod 256 = 141.
        Assert.Equal(141, train.Image(4)[2 * 4 + 3]);
        Assert.Equal(DataFixtures.IdxPixels(4, 5, 4), test.Pixels.ToArray());
    }

    [Fact]
    public void Accepts_the_dotted_file_names()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxImages(dir["train-images.idx3-ubyte"], 2, 3, 3, gzip: false);
        DataFixtures.WriteIdxLabels(dir["train-labels.idx1-ubyte"], [7, 8], gzip: false);
        DataFixtures.WriteIdxImages(dir["t10k-images.idx3-ubyte"], 1, 3, 3, gzip: false);
        DataFixtures.WriteIdxLabels(dir["t10k-labels.idx1-ubyte"], [9], gzip: false);

        var (train, test) = IdxFormat.LoadDirectory(dir.Path, "mnist", IdxFormat.MnistClasses);

        Assert.Equal([7, 8], train.Labels);
        Assert.Equal("9", test.ClassNames[test.Label(0)]);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxDirectory(dir.Path, gzip: true);
        File.Delete(dir["t10k-labels-idx1-ubyte.gz"]);

        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.LoadDirectory(dir.Path, "fashion-mnist", IdxFormat.FashionMnistClasses));
        Assert.Contains("t10k-labels-idx1-ubyte.gz: file not found", e.Message);
    }

    [Fact]
    public void A_missing_directory_is_named()
    {
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.LoadDirectory("/nonexistent/fm", "fashion-mnist", IdxFormat.FashionMnistClasses));
        Assert.Contains("/nonexistent/fm: directory not found", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_wrong_magic_is_reported_with_both_values(bool gzip)
    {
        using var dir = new TempDirectory();
        // A labels file where images are expected: the classic mix-up.
        DataFixtures.WriteIdxLabels(dir["images"], [1, 2], gzip);

        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadImages(dir["images"]));
        Assert.Equal($"{dir["images"]}: wrong magic 0x00000801, expected 0x00000803 for an IDX images file", e.Message);
    }

    [Fact]
    public void Labels_with_the_images_magic_are_rejected()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxImages(dir["labels"], 1, 2, 2, gzip: false);
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadLabels(dir["labels"], 10));
        Assert.Contains("wrong magic 0x00000803, expected 0x00000801", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_truncated_images_file_says_how_short_it_is(bool gzip)
    {
        using var dir = new TempDirectory();
        // The header promises 3 images of 4x4 = 48 bytes; only 40 follow.
        DataFixtures.WriteIdxImages(dir["images"], 3, 4, 4, gzip, pixels: new byte[40]);

        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadImages(dir["images"]));
        Assert.Equal($"{dir["images"]}: truncated: the file ends 8 bytes short of 3 images of 4x4", e.Message);
    }

    [Fact]
    public void A_truncated_header_is_reported()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir["labels"], [0, 0, 8, 1, 0]);
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadLabels(dir["labels"], 10));
        Assert.Contains("truncated: the file ends 3 bytes short of the 8-byte labels header", e.Message);
    }

    [Fact]
    public void More_bytes_than_the_header_declares_is_an_error()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxLabels(dir["labels"], [1, 2, 3], gzip: true, declaredCount: 2);
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadLabels(dir["labels"], 10));
        Assert.Contains("holds more bytes than the 2 labels its header declares", e.Message);
    }

    [Fact]
    public void A_count_mismatch_between_images_and_labels_names_both_files()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxImages(dir["img"], 3, 2, 2, gzip: true);
        DataFixtures.WriteIdxLabels(dir["lab"], [1, 2], gzip: true);

        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadPair(dir["img"], dir["lab"], "x", IdxFormat.MnistClasses));
        Assert.Equal($"{dir["lab"]}: holds 2 labels but {dir["img"]} holds 3 images", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_names_the_record()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxLabels(dir["lab"], [1, 2, 10, 3], gzip: false);

        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadLabels(dir["lab"], 10));
        Assert.Equal($"{dir["lab"]}: label 10 of record 2 is out of range for 10 classes", e.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_is_an_input_error()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir["img.gz"], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<InvalidInputException>(() => IdxFormat.ReadImages(dir["img.gz"]));
        Assert.StartsWith($"{dir["img.gz"]}: ", e.Message);
    }
}
