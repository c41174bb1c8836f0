using System.CommandLine;
using System.Text.Json;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Training;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>`crx eval`: top-1, per-class accuracy, every early decoder, and the confusion matrix of a checkpoint.</summary>
internal static class EvalVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file (runs/NAME/best.ckpt or last.ckpt)", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset to evaluate on [the one it was trained on]" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Dataset folder [the dataset's default]" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print the full result (with the confusion matrix) as JSON" };
        var command = new Command("eval", "Evaluate a checkpoint on its validation set: top-1, per class, early decoders.")
        {
            checkpoint, dataset, dataDir, batch, json,
        };
        command.SetAction(p =>
        {
            string path = p.GetValue(checkpoint)!;
            var (network, info) = Checkpoint.Load(path);
            using var _ = network;
            if (p.GetValue(batch) < 1) throw new CodedResNeXt.InvalidInputException($"--batch: {p.GetValue(batch)} must be at least 1");
            string name = p.GetValue(dataset) ?? info.Dataset;
            // A CIFAR-100 network of 20 classes was trained on the coarse superclasses.
            bool coarse = DatasetCatalog.Canonical(name) == "cifar100" && info.Architecture.Classes == 20;
            var test = DatasetCatalog.LoadValidation(name, new DatasetOptions
            {
                DataDir = p.GetValue(dataDir), CoarseLabels = coarse, ImageSize = info.Architecture.ImageSize,
            });
            ModelInput.Require(info.Architecture, test, p.GetValue(dataDir) is null ? "--dataset" : "--data-dir", p.GetValue(dataDir) ?? name, path);
            var validation = ModelInput.WithoutClasses(test, info.ExcludedClasses);
            var loader = BatchLoader.ForEvaluation(validation, info.Normalization, p.GetValue(batch));
            var result = Evaluation.Run(network, loader, validation.ClassCount);
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, Checkpoint.Json));
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(path)}[/]: {Markup.Escape(info.Architecture.Name)}, epoch {info.State.Epoch}, {result.Count} validation images");
            AnsiConsole.MarkupLine($"top-1 [bold]{result.Top1:P2}[/]");
            var perClass = new Table().AddColumns("class", "name", "accuracy");
            for (int k = 0; k < result.PerClassAccuracy.Count; k++)
                if (!double.IsNaN(result.PerClassAccuracy[k]))
                    perClass.AddRow(k.ToString(), Markup.Escape(info.ClassNames[k]), result.PerClassAccuracy[k].ToString("P1"));
            AnsiConsole.Write(perClass);
            if (result.CodedBlockIndices.Count > 0)
            {
                var early = new Table().AddColumns("coded block", "early-decoder accuracy", "agrees with final");
                for (int b = 0; b < result.CodedBlockIndices.Count; b++)
                    early.AddRow(result.CodedBlockIndices[b].ToString(), result.EarlyDecoderAccuracy[b].ToString("P2"), result.EarlyDecoderAgreement[b].ToString("P1"));
                AnsiConsole.Write(early);
            }
            return 0;
        });
        return command;
    }
}
