using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Augmentation;

namespace CodedResNeXt.Tests.Data;

public class DatasetCatalogTests
{
    [Fact]
    public void Loads_each_format_by_name()
    {
        using var dir = new TempDirectory();
        DataFixtures.WriteIdxDirectory(dir["mnist"], gzip: true);
        DataFixtures.WriteCifar10(dir["c10"]);
        DataFixtures.WriteCifar100(dir["c100"]);

        var mnist = DatasetCatalog.Load("mnist", new DatasetOptions { DataDir = dir["mnist"] });
        var fashion = DatasetCatalog.Load("Fashion-MNIST", new DatasetOptions { DataDir = dir["mnist"] });
        var c10 = DatasetCatalog.Load("cifar-10", new DatasetOptions { DataDir = dir["c10"] });
        var c100 = DatasetCatalog.Load("cifar100", new DatasetOptions { DataDir = dir["c100"], CoarseLabels = true });

        Assert.Equal("5", mnist.Train.ClassNames[5]);
        Assert.Equal("Sandal", fashion.Train.ClassNames[5]);
        Assert.Equal(10, c10.Train.Count);
        Assert.Equal(20, c100.Train.ClassCount);
    }

    [Fact]
    public void Bad_names_and_options_are_errors_naming_the_flag()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => DatasetCatalog.Load("svhn", new DatasetOptions()));
        Assert.Equal("Dataset: unknown dataset 'svhn'; expected one of fashion-mnist, mnist, cifar10, cifar100, folder", unknown.Message);
        var noDir = Assert.Throws<InvalidInputException>(() => DatasetCatalog.Load("cifar100", new DatasetOptions()));
        Assert.Equal("DataDir: required for cifar100", noDir.Message);
        var download = Assert.Throws<InvalidInputException>(() => DatasetCatalog.Load("mnist", new DatasetOptions { DataDir = "/tmp", Download = true }));
        Assert.StartsWith("Download: only cifar10 and cifar100", download.Message);
    }

    [Fact]
    public void Default_augmentations_follow_the_paper_recipes()
    {
        var c10 = DatasetCatalog.DefaultAugmentation("cifar10");
        Assert.Equal((new RandAugment(3, 4), 4, true), (c10.RandAugment, c10.CropPadding, c10.HorizontalFlip));
        Assert.Equal(new RandAugment(1, 2), DatasetCatalog.DefaultAugmentation("cifar100").RandAugment);
        var folder = DatasetCatalog.DefaultAugmentation("folder", 160);
        Assert.Equal((160, new RandAugment(2, 10)), (folder.ResizedCrop, folder.RandAugment));
    }
}
