using TorchSharp;
using CodedResNeXt.Evaluation;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.CodingSchemes;
using System.CommandLine;
using System.Text.Json;
using CodedResNeXt;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Training;
using Crx.Display;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx quickstart`: on Fashion-MNIST, trains a small Coded ResNeXt and its plain ResNeXt control at the same
/// budget, evaluates both and compares them. An interrupted quickstart continues where it stopped.
/// </summary>
internal static class QuickstartVerb
{
    public const string DefaultArchitecture = "fashion-tiny";
    public const int DefaultEpochs = 5;

    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Fashion-MNIST folder [" + DatasetRegistry.FashionMnistDefaultDir + "]" };
        var arch = new Option<string>("--arch") { Description = "Architecture of both networks", DefaultValueFactory = _ => DefaultArchitecture };
        var epochs = new Option<int>("--epochs") { Description = "Epochs for each network", DefaultValueFactory = _ => DefaultEpochs };
        var output = new Option<string>("--out") { Description = "Folder of the two runs", DefaultValueFactory = _ => Path.Combine("runs", "quickstart") };
        var seed = new Option<int>("--seed") { Description = "Seed of both runs", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = Crx.Cli.DeviceOption.Create();
        var command = new Command("quickstart",
            "Train a small Coded ResNeXt and its control on Fashion-MNIST at the same budget, then compare them.")
        {
            dataDir, arch, epochs, output, seed, threads, device,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(dataDir), p.GetValue(arch)!, p.GetValue(epochs), p.GetValue(output)!,
            p.GetValue(seed), p.GetValue(threads), p.GetValue(device)!)));
        return command;
    }

    /// <summary>What a `quickstart` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string? DataDir, string Architecture, int Epochs, string Out, int Seed, int Threads, string Device);

    private static int Run(Arguments a)
    {
        var onDevice = Crx.Cli.DeviceOption.Resolve(a.Device);
        var splits = DatasetRegistry.Load("fashion-mnist", new DatasetOptions { DataDir = a.DataDir });
        var coded = TrainingOptions.For("fashion-mnist") with
        {
            Architecture = a.Architecture,
            Epochs = a.Epochs,
            Seed = a.Seed,
        };
        var data = TrainingData.From(splits, [], coded.FixedNormalization());
        var rows = new List<Row>();
        foreach (var options in new[] { coded, coded with { Control = true } })
        {
            string label = options.Control ? "control" : "coded";
            string directory = Path.Combine(a.Out, label);
            string last = Path.Combine(directory, "last.ckpt");
            var before = File.Exists(last) ? CodedResNeXtModel.Inspect(last) : null;
            if (before is not null && !before.Options.IsSameRunAs(options))
                throw new InvalidInputException($"{directory} holds a run with other options; choose another folder or delete it");
            int done = before?.Epoch ?? 0;
            string architecture = CodedResNeXtModel.CheckTraining(data, options).Name;
            EvaluationResult? result = null;
            long parameters = 0;
            if (done < options.Epochs)
            {
                Console.WriteLine(before is null
                    ? $"{label}: training {architecture} for {options.Epochs} epochs into {directory}"
                    : $"{label}: resuming {directory} after epoch {done}");
                // An interruption ends the command inside Train (InterruptedException), the steps taken saved.
                using var trained = TrainingConsole.Train(data, options, new TrainingSetup { RunDirectory = directory, Resume = before is not null, Device = onDevice, Threads = a.Threads },
                    label, continueWith: "crx quickstart (the same flags)");
                // The trainer validated its last epoch on the same images in the same batches: that is the evaluation of
                // last.ckpt, so it is not run a second time.
                if (trained.StoppedAtStep is null && !trained.Cancelled && trained.LastEvaluation is not null)
                    (result, parameters) = (trained.LastEvaluation, trained.Network.ParameterCount);
            }
            if (result is null)
            {
                using var trained = CodedResNeXtModel.Load(last, onDevice);
                result = trained.Evaluate(data.Validation);
                parameters = trained.Network.ParameterCount;
            }
            double trainSeconds = CodedResNeXtModel.Inspect(last).Log.Sum(m => m.Seconds);
            rows.Add(new Row(label, architecture, parameters, options.Epochs, trainSeconds, result));
        }
        CodedResNeXtModel.WriteTextFile(Path.Combine(a.Out, "comparison.json"), JsonSerializer.Serialize(rows, CodedResNeXtModel.JsonOptions));
        Print(rows);
        Console.WriteLine($"written: {Path.Combine(a.Out, "comparison.json")}; next: ./crx eval --checkpoint {Path.Combine(a.Out, "coded", "best.ckpt")}");
        return 0;
    }

    private sealed record Row(string Network, string Architecture, long Parameters, int Epochs, double TrainSeconds, EvaluationResult Result);

    // One column per network and one row per figure: the table stays narrow enough for an 80-column terminal however
    // many coded blocks the architecture has (a column per early decoder wrapped every cell there).
    private static void Print(IReadOnlyList<Row> rows)
    {
        var table = new Table().Title("Fashion-MNIST, same budget").AddColumn("");
        foreach (var r in rows) table.AddColumn(new TableColumn(r.Network).RightAligned());
        void Add(string figure, Func<Row, string> cell) => table.AddRow([figure, .. rows.Select(cell)]);
        Add("parameters", r => $"{r.Parameters / 1e6:F3} M");
        Add("epochs", r => r.Epochs.ToString());
        Add("train time", r => $"{r.TrainSeconds / 60:F1} min");
        Add("[bold]top-1[/]", r => $"[bold]{r.Result.Classification.Top1:P2}[/]");
        var blocks = rows.MaxBy(r => r.Result.EarlyDecoding.CodedBlockIndices.Count)!.Result.EarlyDecoding.CodedBlockIndices;
        for (int b = 0; b < blocks.Count; b++)
        {
            int index = b;
            Add($"early decoder, block {blocks[b]}", r => index < r.Result.EarlyDecoding.Accuracy.Count ? r.Result.EarlyDecoding.Accuracy[index].ToString("P2") : "—");
        }
        AnsiConsole.Write(table);
    }
}
