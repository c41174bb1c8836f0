using Crx;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;

namespace CodedResNeXt.Tests.Cli;

public class ClassListTests
{
    [Fact]
    public void Classes_parse_by_index_or_name()
    {
        var classes = ClassList.Parse(" sandal, 9 ,T-shirt/top", IdxFormat.FashionMnistClasses);
        Assert.Equal([5, 9, 0], classes);
        Assert.Empty(ClassList.Parse("", IdxFormat.FashionMnistClasses));
    }

    [Fact]
    public void Unknown_classes_are_errors_naming_the_flag()
    {
        var unknown = Assert.Throws<InvalidInputException>(() => ClassList.Parse("Sandal,hat", IdxFormat.FashionMnistClasses));
        Assert.StartsWith("--exclude-classes: 'hat' is neither a class index 0..9 nor a class name", unknown.Message);
        var outOfRange = Assert.Throws<InvalidInputException>(() => ClassList.Parse("10", IdxFormat.FashionMnistClasses, "--classes"));
        Assert.StartsWith("--classes: '10'", outOfRange.Message);
    }
}
