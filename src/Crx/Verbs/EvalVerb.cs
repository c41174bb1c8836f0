using TorchSharp;
using CodedResNeXt.Evaluation;
using CodedResNeXt.ModelFiles;
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
        var device = Crx.Cli.DeviceOption.Create();
        var command = new Command("eval", "Evaluate a checkpoint on its validation set: top-1, per class, early decoders.")
        {
            checkpoint, dataset, dataDir, batch, json, device,
        };
        command.SetAction(p =>
        {
            string path = p.GetValue(checkpoint)!;
            var where = Crx.Cli.DeviceOption.Resolve(p.GetValue(device)!);
            var (network, info) = Checkpoint.Load(path);
            network.to(where);
            using var _ = network;
            if (p.GetValue(batch) < 1) throw new CodedResNeXt.InvalidInputException($"--batch: {p.GetValue(batch)} must be at least 1");
            string name = p.GetValue(dataset) ?? info.Dataset;
            // A CIFAR-100 network of 20 classes was trained on the coarse superclasses.
            bool coarse = DatasetCatalog.Canonical(name) == "cifar100" && info.Architecture.Classes == 20;
            // A folder is read at the sizes the network was trained with.
            var test = DatasetCatalog.LoadValidation(name, new DatasetOptions
            {
                DataDir = p.GetValue(dataDir), CoarseLabels = coarse, ImageSize = info.Architecture.ImageSize, ResizeSize = info.Options.Folder?.Resize,
            });
            ModelInput.Require(info.Architecture, test, p.GetValue(dataDir) is null ? "Dataset" : nameof(DatasetOptions.DataDir), p.GetValue(dataDir) ?? name, path);
            var validation = ModelInput.WithoutClasses(test, info.ExcludedClasses);
            var loader = BatchLoader.ForEvaluation(validation, info.Normalization, p.GetValue(batch));
            var result = EvaluationResult.Measure(network, loader, validation.ClassCount);
            var (classification, early) = (result.Classification, result.EarlyDecoding);
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, ModelFile.Json));
                return 0;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(path)}[/]: {Markup.Escape(info.Architecture.Name)}, epoch {info.State.Epoch}, {classification.Count} validation images, on {where}");
            AnsiConsole.MarkupLine($"top-1 [bold]{classification.Top1:P2}[/]" + (classification.Top5 is { } top5 ? $"  top-5 [bold]{top5:P2}[/]" : ""));
            var perClass = new Table().AddColumns("class", "name", "accuracy");
            for (int k = 0; k < classification.PerClassAccuracy.Count; k++)
                if (!double.IsNaN(classification.PerClassAccuracy[k]))
                    perClass.AddRow(k.ToString(), Markup.Escape(info.ClassNames[k]), classification.PerClassAccuracy[k].ToString("P1"));
            AnsiConsole.Write(perClass);
            if (early.CodedBlockIndices.Count > 0)
            {
                var decoders = new Table().AddColumns("coded block", "early-decoder accuracy", "agrees with final");
                for (int b = 0; b < early.CodedBlockIndices.Count; b++)
                    decoders.AddRow(early.CodedBlockIndices[b].ToString(), early.Accuracy[b].ToString("P2"), early.AgreementWithFinal[b].ToString("P1"));
                AnsiConsole.Write(decoders);
            }
            return 0;
        });
        return command;
    }
}
