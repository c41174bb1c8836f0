using CodedResNeXt.Training;
using Crx.Display;

namespace CodedResNeXt.Tests.Display;

/// <summary>The text beside the training bar fits the terminal, so Spectre.Console need not squeeze the bar's other columns.</summary>
public class ProgressBarTests
{
    private static readonly TrainingProgress Step = new(1, 60, 125, 468, 3.7947, 0.2692, 0.192, 1866, 0.0999);

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(60)]
    public void In_a_narrow_terminal_the_description_leaves_room_for_the_bar_and_its_times(int width)
    {
        string text = TrainingConsole.BarDescription("control", Step, width);
        Assert.True(text.Length <= width - 37, $"{text.Length} columns at width {width}: {text}");
        Assert.StartsWith("control 1/60", text);
    }

    [Fact]
    public void In_a_wide_terminal_it_is_the_whole_progress_line()
    {
        string text = TrainingConsole.BarDescription("coded", Step, 200);
        Assert.Equal("coded epoch 1/60 step 125/468: loss 3.7947 (coding 0.2692)  train 19.2 %  1866 img/s  lr 0.0999", text);
    }
}
