using CodedResNeXt.CodingSchemes;
using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Analysis;
using CodedResNeXt.Data;
using CodedResNeXt.Training;
using Crx.Display;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx sweep`: one run per value of mu, p-drop or the loss exponent (everything else equal), each measured by a
/// cheap analysis; writes OUT/sweep.json, sweep.md and sweep.png. Run it again to resume an interrupted sweep.
/// </summary>
internal static class SweepVerb
{
    public static Command Create()
    {
        var flags = new TrainingFlags();
        var parameter = new Option<string>("--param") { Description = "Parameter to sweep: mu | p-drop | loss-exponent", Required = true };
        var values = new Option<string>("--values") { Description = "Comma-separated values, e.g. 0,2,6,10", Required = true };
        var output = new Option<string?>("--out") { Description = "Sweep folder, one run per value in <param>=<value>/ [runs/sweep-<param>]" };
        var thresholdSamples = new Option<int>("--threshold-samples") { Description = "Training images whose outputs fit the binary classifiers' thresholds", DefaultValueFactory = _ => 2000 };
        var command = new Command("sweep", "Train one network per value of mu, p-drop or the loss exponent and compare top-1, early decoders and binary classifiers.");
        flags.AddTo(command);
        command.Options.Add(parameter);
        command.Options.Add(values);
        command.Options.Add(output);
        command.Options.Add(thresholdSamples);
        command.SetAction(p => Run(new Arguments(flags, flags.Read(p), p.GetValue(parameter)!, p.GetValue(values)!, p.GetValue(output),
            p.GetValue(thresholdSamples))));
        return command;
    }

    /// <summary>What a `sweep` command line asks for: the training flags' values and the verb's own flags.</summary>
    private sealed record Arguments(TrainingFlags Flags, TrainingFlagValues Values, string Parameter, string SweptValues, string? Out, int ThresholdSamples);

    private static int Run(Arguments a)
    {
        var (flags, p) = (a.Flags, a.Values);
        {
            var swept = Sweep.ParseParameter(a.Parameter);
            var list = Sweep.ParseValues(a.SweptValues);
            var clash = swept switch { SweepParameter.Mu => flags.Mu, SweepParameter.PDrop => flags.PDrop, _ => flags.LossExponent };
            if (p.GetValue(clash) is not null)
                throw new InvalidInputException($"{clash.Name}: the sweep sets {Sweep.Name(swept)} from --values; leave {clash.Name} out");

            var splits = DatasetRegistry.Load(p.GetValue(flags.Dataset)!, flags.DatasetOptions(p));
            var options = flags.Options(p, splits.Train.ClassNames);
            var data = TrainingData.From(splits, options.ExcludeClasses, options.FixedNormalization());
            var plan = new SweepPlan(swept, list, options, a.Out ?? Path.Combine("runs", $"sweep-{Sweep.Name(swept)}"));
            var analysis = Sweep.CheapAnalysis(options.Seed) with { ThresholdSamples = a.ThresholdSamples };
            analysis.Validate();

            var result = Sweep.Run(plan, data, null, (runOptions, setup) =>
                    TrainingConsole.Train(data, runOptions, setup, Path.GetFileName(setup.RunDirectory!), continueWith: "the same crx sweep").Dispose(),
                analysis, AnalyzeVerb.PassLines(), Console.WriteLine);
            Print(result);
            Console.WriteLine($"written: {Path.Combine(plan.Directory, Sweep.JsonFile)}, {Sweep.MarkdownFile}, {Sweep.PlotFile}");
            return 0;
        }
    }

    private static void Print(SweepResult result)
    {
        var table = new Table().Title($"Sweep over {DisplayText.Markup(result.Parameter)}")
            .AddColumns(DisplayText.Markup(result.Parameter), "top-1", "early decoder, last coded block", "mean binary F1", "epochs");
        foreach (var point in result.Points.OrderBy(x => x.Value))
            table.AddRow(point.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), point.Top1.ToString("P2"),
                double.IsNaN(point.LastEarlyDecoderAccuracy) ? "—" : point.LastEarlyDecoderAccuracy.ToString("P2"),
                double.IsNaN(point.MeanBinaryF1) ? "—" : point.MeanBinaryF1.ToString("F3"), point.Epochs.ToString());
        AnsiConsole.Write(table);
    }
}
