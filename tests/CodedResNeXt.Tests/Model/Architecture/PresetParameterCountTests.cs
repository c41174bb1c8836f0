using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;

namespace CodedResNeXt.Tests.Model.Architecture;

/// <summary>Parameter counts of the paper's architectures against the figures of docs/method.md#architectures and docs/method.md#what-a-trained-network-gives-you.</summary>
public class PresetParameterCountTests
{
    [Theory]
    [InlineData("cifar10", 4.639, new[] { 0.2, 0.9, 3.5 })]
    [InlineData("cifar100", 4.749, new[] { 0.2, 0.9, 3.6 })]
    [InlineData("imagenet", 25.03, new[] { 0.2, 1.2, 7.0, 14.5 })]
    public void Totals_and_stages_match_the_published_figures(string preset, double totalMillions, double[] stageMillions)
    {
        var counts = Presets.Get(preset).CountParameters();
        int digits = preset == "imagenet" ? 2 : 3;
        Assert.Equal(totalMillions, Math.Round(counts.Total / 1e6, digits));
        Assert.Equal(stageMillions, counts.Stages.Select(s => Math.Round(s.Parameters / 1e6, 1)).ToArray());
    }

    [Theory]
    [InlineData("cifar10", 2.149, 46.3, 0.38)]
    [InlineData("cifar100", 1.778, 37.4, 0.27)]
    [InlineData("imagenet", 10.42, 41.6, 0.35)]
    public void Binary_classifier_of_class_0_keeps_the_exact_count_and_the_paper_estimate_is_close_to_its_figure(
        string preset, double exactMillions, double exactPercent, double paperEstimate)
    {
        var size = BinaryClassifierSize.Of(Presets.Get(preset), 0, CodingSchemeSet.BuiltInsAndFiles);
        Assert.Equal(exactMillions, Math.Round(size.Exact / 1e6, preset == "imagenet" ? 2 : 3));
        Assert.Equal(exactPercent, Math.Round(100 * size.ExactFraction, 1));
        // The paper rounds its stage-scaled estimates to whole percents and quotes 38 / 27 / 35 %.
        Assert.InRange(size.EstimateFraction, paperEstimate - 0.015, paperEstimate + 0.005);
    }

    [Fact]
    public void Cifar_control_has_the_same_parameters_and_no_coded_block()
    {
        var coded = Presets.Get("cifar10");
        var control = coded.ToControl();
        Assert.Equal(coded.CountParameters().Total, control.CountParameters().Total);
        Assert.DoesNotContain(control.Blocks, b => b.IsCoded || b.PDrop != 0);
        Assert.Equal(6, coded.Blocks.Count(b => b.IsCoded));
    }

    [Fact]
    public void Fashion_small_has_the_calibrated_044_million_parameters()
    {
        Assert.Equal(0.44, Math.Round(Presets.Get("fashion-small").CountParameters().Total / 1e6, 2));
    }
}
