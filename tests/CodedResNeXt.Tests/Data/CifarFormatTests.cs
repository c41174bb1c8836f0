using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Tests.Data;

public class CifarFormatTests
{
    [Fact]
    public void Cifar10_reads_five_train_batches_in_order_and_the_test_batch()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar10(dir.Path);

        var (train, test) = CifarFormat.LoadCifar10(dir.Path);

        Assert.Equal((10, 3, 32, 32), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal([0, 1, 1, 2, 2, 3, 3, 4, 4, 5], train.Labels);
        Assert.Equal([7, 8, 9], test.Labels);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal("truck", test.ClassNames[9]);
        // Record 3 is data_batch_2's second record, seed 21; planes stay R, G, B.
        Assert.Equal(DataFixtures.CifarImage(21), train.Image(3).ToArray());
        Assert.Equal(DataFixtures.CifarImage(102), test.Image(2).ToArray());
    }

    [Fact]
    public void Cifar10_is_also_found_in_the_archive_top_folder()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar10(dir[CifarFormat.Cifar10Folder]);
        Assert.Equal(3, CifarFormat.LoadCifar10(dir.Path).Test.Count);
    }

    [Fact]
    public void Cifar100_uses_fine_labels_by_default_and_coarse_on_request()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar100(dir[CifarFormat.Cifar100Folder]);

        var fine = CifarFormat.LoadCifar100(dir.Path);
        var coarse = CifarFormat.LoadCifar100(dir.Path, coarse: true);

        Assert.Equal([30, 1, 99], fine.Train.Labels);
        Assert.Equal([50, 0], fine.Test.Labels);
        Assert.Equal(100, fine.Train.ClassCount);
        Assert.Equal("fine99", fine.Train.ClassNames[99]);
        Assert.Equal([4, 1, 19], coarse.Train.Labels);
        Assert.Equal(20, coarse.Test.ClassCount);
        Assert.Equal(DataFixtures.CifarImage(3), fine.Train.Image(2).ToArray());
    }

    [Fact]
    public void A_directory_without_cifar_files_suggests_download()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidInputException>(() => CifarFormat.LoadCifar10(dir.Path));
        Assert.Contains("no CIFAR-10 binary files", e.Message);
        Assert.Contains("download option", e.Message);
    }

    [Fact]
    public void A_missing_batch_file_is_named()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar10(dir.Path);
        File.Delete(dir["data_batch_4.bin"]);
        var e = Assert.Throws<InvalidInputException>(() => CifarFormat.LoadCifar10(dir.Path));
        Assert.Equal($"{dir["data_batch_4.bin"]}: file not found", e.Message);
    }

    [Fact]
    public void A_missing_class_name_file_is_named()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar100(dir.Path);
        File.Delete(dir["coarse_label_names.txt"]);
        var e = Assert.Throws<InvalidInputException>(() => CifarFormat.LoadCifar100(dir.Path, coarse: true));
        Assert.Equal($"{dir["coarse_label_names.txt"]}: file not found", e.Message);
    }

    [Fact]
    public void A_truncated_record_is_reported()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar10(dir.Path);
        using (var f = new FileStream(dir["test_batch.bin"], FileMode.Open)) f.SetLength(3 * 3073 - 100);

        var e = Assert.Throws<InvalidInputException>(() => CifarFormat.LoadCifar10(dir.Path));
        Assert.Equal($"{dir["test_batch.bin"]}: truncated record: 9119 bytes is not a whole number of 3073-byte records", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_names_file_record_and_class_list()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteCifar100(dir.Path);
        // Coarse label 20 in record 1: valid byte, but CIFAR-100 has only 20 superclasses.
        DataFixtures.WriteCifarBatch(dir["test.bin"], [([0, 0], 1), ([20, 3], 2)]);

        Assert.Equal(2, CifarFormat.LoadCifar100(dir.Path).Test.Count);
        var e = Assert.Throws<InvalidInputException>(() => CifarFormat.LoadCifar100(dir.Path, coarse: true));
        Assert.Equal($"{dir["test.bin"]}: label 20 of record 1 is out of range for the 20 classes of coarse_label_names.txt", e.Message);
    }
}
