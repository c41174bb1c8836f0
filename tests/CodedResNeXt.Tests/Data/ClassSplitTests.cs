using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Tests.Data;

public class ClassSplitTests
{
    /// <summary>Ten 1x1 images of ten classes: image i has class i and pixel value 10 i.</summary>
    private static ImageDataset TenClasses() =>
        new("ten", Enumerable.Range(0, 10).Select(i => (byte)(10 * i)).ToArray(), Enumerable.Range(0, 10).ToArray(),
            IdxFormat.FashionMnistClasses, 1, 1, 1);

    [Fact]
    public void Kept_classes_are_relabelled_in_order_and_held_out_ones_keep_their_labels()
    {
        var split = ClassSplit.Exclude(TenClasses(), [6, 0]);

        Assert.Equal([1, 2, 3, 4, 5, 7, 8, 9], split.KeptClasses);
        Assert.Equal([0, 6], split.HeldOutClasses);
        Assert.Equal(8, split.Kept.ClassCount);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], split.Kept.Labels);
        Assert.Equal("Sneaker", split.Kept.ClassNames[5]);
        Assert.Equal(50, split.Kept.Image(4)[0]);      // original image 6 is gone: 7 follows 5
        Assert.Equal(70, split.Kept.Image(5)[0]);
        Assert.Equal([0, 6], split.HeldOut.Labels);
        Assert.Equal(10, split.HeldOut.ClassCount);
        Assert.Equal(-1, split.NewLabel(6));
        Assert.Equal(5, split.NewLabel(7));
    }

    [Fact]
    public void Classes_parse_by_index_or_name()
    {
        var classes = ClassSplit.ParseClasses(" sandal, 9 ,T-shirt/top", IdxFormat.FashionMnistClasses);
        Assert.Equal([5, 9, 0], classes);
        Assert.Empty(ClassSplit.ParseClasses("", IdxFormat.FashionMnistClasses));
    }

    [Fact]
    public void Unknown_classes_and_excluding_everything_are_errors_naming_the_flag()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => ClassSplit.ParseClasses("Sandal,hat", IdxFormat.FashionMnistClasses));
        Assert.StartsWith("--exclude-classes: 'hat' is neither a class index 0..9 nor a class name", unknown.Message);
        var outOfRange = Assert.Throws<InvalidInputException>(() => ClassSplit.ParseClasses("10", IdxFormat.FashionMnistClasses));
        Assert.Contains("'10'", outOfRange.Message);
        var all = Assert.Throws<InvalidInputException>(() => ClassSplit.Exclude(TenClasses(), Enumerable.Range(0, 10)));
        Assert.Equal("--exclude-classes: it excludes all 10 classes of ten", all.Message);
    }
}
