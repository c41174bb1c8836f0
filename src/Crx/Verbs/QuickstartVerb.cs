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
        var dataDir = new Option<string?>("--data-dir") { Description = "Fashion-MNIST folder [" + DatasetCatalog.FashionMnistDefaultDir + "]" };
        var arch = new Option<string>("--arch") { Description = "Architecture of both networks", DefaultValueFactory = _ => DefaultArchitecture };
        var epochs = new Option<int>("--epochs") { Description = "Epochs for each network", DefaultValueFactory = _ => DefaultEpochs };
        var output = new Option<string>("--out") { Description = "Folder of the two runs", DefaultValueFactory = _ => Path.Combine("runs", "quickstart") };
        var seed = new Option<int>("--seed") { Description = "Seed of both runs", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("quickstart",
            "Train a small Coded ResNeXt and its control on Fashion-MNIST at the same budget, then compare them.")
        {
            dataDir, arch, epochs, output, seed, threads,
        };
        command.SetAction(p =>
        {
            var splits = DatasetCatalog.Load("fashion-mnist", new DatasetOptions { DataDir = p.GetValue(dataDir) });
            var coded = TrainingOptions.For("fashion-mnist") with
            {
                Architecture = p.GetValue(arch)!,
                Epochs = p.GetValue(epochs),
                Seed = p.GetValue(seed),
                Threads = p.GetValue(threads),
            };
            var data = TrainingData.From(splits, [], coded.FixedNormalization());
            string root = p.GetValue(output)!;
            var rows = new List<Row>();
            foreach (var options in new[] { coded, coded with { Control = true } })
            {
                string label = options.Control ? "control" : "coded";
                var run = new TrainingRun(options, data, Path.Combine(root, label), CodingSchemeSet.BuiltInsAndFiles);
                int done = run.EpochsDone();
                if (done < options.Epochs)
                {
                    Console.WriteLine(done == 0
                        ? $"{label}: training {run.Architecture.Name} for {options.Epochs} epochs into {run.Directory}"
                        : $"{label}: resuming {run.Directory} after epoch {done}");
                    TrainingConsole.Train(run, resume: done > 0, label).Dispose();
                    if (run.EpochsDone() < options.Epochs) return 130; // interrupted; the message was printed
                }
                var (network, info) = Checkpoint.Load(run.LastCheckpointPath);
                using (network)
                {
                    var result = EvaluationResult.Measure(network, BatchLoader.ForEvaluation(data.Validation, data.Normalization, 256), data.Validation.ClassCount);
                    double trainSeconds = MetricsLog.Read(Path.Combine(run.Directory, "metrics.jsonl")).Sum(m => m.Seconds);
                    rows.Add(new Row(label, run.Architecture.Name, network.ParameterCount, options.Epochs, trainSeconds, result));
                }
            }
            File.WriteAllText(Path.Combine(root, "comparison.json"), JsonSerializer.Serialize(rows, ModelFile.Json));
            Print(rows);
            Console.WriteLine($"written: {Path.Combine(root, "comparison.json")}; next: ./crx eval --checkpoint {Path.Combine(root, "coded", "best.ckpt")}");
            return 0;
        });
        return command;
    }

    private sealed record Row(string Network, string Architecture, long Parameters, int Epochs, double TrainSeconds, EvaluationResult Result);

    private static void Print(IReadOnlyList<Row> rows)
    {
        int coded = rows.Max(r => r.Result.EarlyDecoding.CodedBlockIndices.Count);
        var table = new Table().Title("Fashion-MNIST, same budget").AddColumns("network", "parameters", "epochs", "train time", "top-1");
        var codedRow = rows.First(r => r.Result.EarlyDecoding.CodedBlockIndices.Count == coded);
        foreach (int block in codedRow.Result.EarlyDecoding.CodedBlockIndices) table.AddColumn($"early decoder, block {block}");
        foreach (var r in rows)
        {
            var cells = new List<string>
            {
                r.Network, $"{r.Parameters / 1e6:F3} M", r.Epochs.ToString(), $"{r.TrainSeconds / 60:F1} min", $"[bold]{r.Result.Classification.Top1:P2}[/]",
            };
            cells.AddRange(Enumerable.Range(0, coded).Select(b => b < r.Result.EarlyDecoding.Accuracy.Count ? r.Result.EarlyDecoding.Accuracy[b].ToString("P2") : "—"));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }
}
