using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Prediction;
using CodedResNeXt.Report;
using Crx.Display;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx explain`: for each image, the model's prediction and why (<see cref="PredictionModel.Explain(string, ExplanationOptions?)"/>),
/// written as one self-contained page and a PNG per image.
/// </summary>
internal static class ExplainVerb
{
    /// <summary>What an `explain` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string Model, string[] Images, string Out, int? Class, string[] Classifiers, string Device, long MaxImagePixels);

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A checkpoint, an extracted classifier (crx extract), or a .onnx file exported from either (no saliency maps)", Required = true };
        var images = new Argument<string[]>("images") { Description = "PNG/JPEG files, or directories: all their .png/.jpg/.jpeg files, sorted", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Folder for index.html (one self-contained page) and a PNG per image", Required = true };
        var cls = new Option<int?>("--class") { Description = "The class whose saliency maps are drawn (index among all K); default: the predicted class" };
        var classifiers = new Option<string[]>("--classifier") { Description = "An extracted classifier (.crxb or its .onnx) whose answer on each image is shown; repeat for several", AllowMultipleArgumentsPerToken = false };
        var device = Crx.Cli.DeviceOption.Create();
        var maxPixels = Crx.Cli.ImageLimitOption.Create();
        var command = new Command("explain",
            "Explain a model's answer on images: the prediction, each coded block's energies against the codewords of the " +
            "predicted class and the runner-up, the early decoders' votes and margins, where stored early-exit calibrations " +
            "would stop each image, the classifiers' answers, and the saliency maps of the class's path and of the whole network.")
        {
            images, model, output, cls, classifiers, device, maxPixels,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(model)!, p.GetValue(images)!, p.GetValue(output)!, p.GetValue(cls),
            p.GetValue(classifiers) ?? [], p.GetValue(device)!, p.GetValue(maxPixels))));
        return command;
    }

    private static int Run(Arguments a)
    {
        Crx.Cli.OutputPaths.RequireWritableFolder(a.Out, "--out");
        var device = Crx.Cli.DeviceOption.Resolve(a.Device);
        var files = a.Images.SelectMany(PredictionModel.FindImages).ToList();
        using var loaded = PredictionModel.Load(a.Model, device);
        loaded.MaxImagePixels = Crx.Cli.ImageLimitOption.Checked(a.MaxImagePixels);
        if (a.Class is { } k && (k < 0 || k >= loaded.ClassNames.Count || !loaded.Meta.KeptClasses.Contains(k)))
            throw new InvalidInputException($"--class: {k} is not among {a.Model}'s output classes ({string.Join(", ", loaded.Meta.KeptClasses)})");
        var classifiers = new Dictionary<string, PredictionModel>();
        try
        {
            foreach (string path in a.Classifiers)
            {
                var classifier = PredictionModel.Load(path, device);
                classifiers[path] = classifier;
                if (!classifier.IsClassifier)
                    throw new InvalidInputException($"--classifier: {path} is a {classifier.Meta.Kind}, not an extracted classifier");
                if (classifier.InputChannels != loaded.InputChannels || classifier.ImageSize != loaded.ImageSize)
                    throw new InvalidInputException($"--classifier: {path} takes {classifier.InputChannels}x{classifier.ImageSize}x{classifier.ImageSize} images, " +
                                                    $"{a.Model} {loaded.InputChannels}x{loaded.ImageSize}x{loaded.ImageSize}");
                classifier.MaxImagePixels = loaded.MaxImagePixels;
            }
            var options = new ExplanationOptions { SaliencyClass = a.Class, Classifiers = classifiers };
            var explanations = files.Select(f => loaded.Explain(f, options)).ToList();
            var written = ExplanationPage.Write(ModelExplanations.Of(loaded, a.Model, explanations), a.Out);

            var table = new Table().AddColumns("image", "prediction", "early exit", "saliency");
            foreach (var x in explanations)
                table.AddRow(DisplayText.Markup(Path.GetFileName(x.Image.File)),
                    DisplayText.Markup(x.Prediction.Prediction is { } p ? $"{p.Class} ({p.Name}) {p.Probability:P1}"
                        : string.Join(", ", x.Prediction.Decisions!.Select(d => $"{d.Name}: {(d.Yes ? "yes" : "no")}"))),
                    DisplayText.Markup(x.EarlyExits.Count == 0 ? "-" : string.Join(", ", x.EarlyExits.Select(e =>
                        $"{e.Target}: {(e.ExitBlock is { } b ? $"block {b}" : "head")} {e.ComputeFraction:P0}"))),
                    x.Saliency is null ? "none (ONNX)" : DisplayText.Markup($"class {x.Saliency.Class} ({x.Saliency.Name})"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"wrote [bold]{DisplayText.Markup(written[0])}[/] and {written.Count - 1} PNG file{(written.Count == 2 ? "" : "s")} in {DisplayText.Markup(a.Out)}");
            return 0;
        }
        finally
        {
            foreach (var c in classifiers.Values) c.Dispose();
        }
    }
}
