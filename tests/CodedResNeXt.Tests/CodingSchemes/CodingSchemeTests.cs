using CodedResNeXt;
using CodedResNeXt.CodingSchemes;

namespace CodedResNeXt.Tests.CodingSchemes;

public class CodingSchemeTests
{
    [Fact]
    public void Parse_round_trips_the_codeword_strings()
    {
        var scheme = CodingScheme.Parse("t", ["1100", "0110", "0011"]);
        Assert.Equal(3, scheme.Classes);
        Assert.Equal(4, scheme.SubNNs);
        Assert.Equal(2, scheme.Active);
        Assert.True(scheme.IsActive(1, 2));
        Assert.False(scheme.IsActive(1, 3));
        Assert.Equal(["1100", "0110", "0011"], scheme.ToStrings());
    }

    [Theory]
    [InlineData("1100", "1110", "rule A")]
    [InlineData("1100", "11x0", "only '0' and '1'")]
    [InlineData("1100", "1100", "share the codeword")]
    [InlineData("1100", "110", "length")]
    public void Bad_codewords_are_rejected_with_a_message_saying_why(string a, string b, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => CodingScheme.Parse("t", [a, b]));
        Assert.Contains(expected, e.Message);
    }
}
