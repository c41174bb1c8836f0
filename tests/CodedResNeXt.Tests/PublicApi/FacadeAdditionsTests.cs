using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.Interop;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.PublicApi;

/// <summary>
/// What the tool needed beyond the facade, added to the facade where a user's program gets it too (issue 30): a file's
/// summary, export from a model file, the images of a folder, coding schemes and architectures through their records,
/// the network's segments, a checkpoint's position, errors naming their subject, the loss to backpropagate.
/// </summary>
public class FacadeAdditionsTests
{
    private static readonly TrainingData Data = TrainingData.From(Synthetic.Splits(), []);

    private static CodedResNeXtModel Trained(int epochs = 1) =>
        CodedResNeXtModel.Train(Synthetic.Architecture(), Data, Synthetic.Training("ignored", epochs));

    private static Tensor Pixels(int count) =>
        tensor(Data.Validation.Pixels[..(count * Data.Validation.ImageBytes)].ToArray(), [count, 1, Synthetic.Side, Synthetic.Side])
            .to_type(ScalarType.Float32).div_(255f);

    [Fact]
    public void InspectFile_tells_every_kind_of_weights_file_apart_and_what_each_says()
    {
        using var tmp = new TempDirectory();
        using var model = Trained();
        model.Save(tmp["model.ckpt"]);
        using (var classifier = model.ExtractBinaryClassifier(2, Data.Train)) classifier.Save(tmp["class2.crxb"]);
        model.ExportOnnx(tmp["model.onnx"]);
        using (var loaded = PredictionModel.Load(tmp["model.ckpt"]))
            loaded.ExportOnnx(tmp["model.int8.onnx"], new QuantizationOptions { CalibrationSet = Data.Train, CalibrationImages = 32, Percentile = null });

        var checkpoint = CodedResNeXtModel.InspectFile(tmp["model.ckpt"]);
        Assert.Equal((ModelFileInfo.Checkpoint, "tiny", new FileInfo(tmp["model.ckpt"]).Length), (checkpoint.Format, checkpoint.Metadata!.Architecture.Name, checkpoint.Bytes));
        Assert.Null(checkpoint.Quantization);
        var classifierFile = CodedResNeXtModel.InspectFile(tmp["class2.crxb"]);
        Assert.Equal(ModelFileInfo.BinaryClassifier, classifierFile.Format);
        Assert.Equal([2], classifierFile.Metadata!.KeptClasses);
        var onnx = CodedResNeXtModel.InspectFile(tmp["model.onnx"]);
        Assert.Equal((ModelFileInfo.Onnx, ModelFileInfo.Checkpoint), (onnx.Format, onnx.Metadata!.Kind));
        Assert.Null(onnx.Quantization);
        var int8 = CodedResNeXtModel.InspectFile(tmp["model.int8.onnx"]);
        Assert.Equal(("min-max", 32), (int8.Quantization!.Method, int8.Quantization.Images));
        var (expected, read) = (model.Metadata.InputTransform, int8.Metadata!.InputTransform);
        Assert.Equal((expected.Channels, expected.Size, expected.Resize), (read.Channels, read.Size, read.Resize));
        Assert.Equal(expected.Normalization.Mean, read.Normalization.Mean);

        // The authors' Lightning checkpoint: what it says of its run, read without running its pickle.
        var lightning = CodedResNeXtModel.InspectFile(LightningFixture.Checkpoint);
        Assert.Equal((ModelFileInfo.Torch, 89L, 8820L, "1.5.10", 196), (lightning.Format, lightning.Epoch, lightning.GlobalStep, lightning.LightningVersion, lightning.Tensors));
        Assert.Null(lightning.Metadata);
        Assert.Contains("optimizer_states", lightning.Keys);

        File.WriteAllText(tmp["notes.txt"], "not weights");
        var error = Assert.Throws<InvalidInputException>(() => CodedResNeXtModel.InspectFile(tmp["notes.txt"]));
        Assert.Equal(tmp["notes.txt"], error.File);
    }

    [Fact]
    public void ExportOfficial_writes_the_authors_layout_that_Import_reads_back_and_never_overwrites()
    {
        using var tmp = new TempDirectory();
        using var imported = CodedResNeXtModel.Import(OfficialFixture.Weights, "cifar10");
        imported.ExportOfficial(tmp["back.safetensors"]);
        var back = SafeTensors.Load(tmp["back.safetensors"]);
        var official = SafeTensors.Load(OfficialFixture.Weights);
        Assert.Equal(official.Keys.Order(), back.Keys.Order());
        Assert.All(official, p => Assert.True(p.Value.bytes.SequenceEqual(back[p.Key].bytes), p.Key));

        long written = new FileInfo(tmp["back.safetensors"]).Length;
        var refused = Assert.Throws<InvalidInputException>(() => imported.ExportOfficial(tmp["back.safetensors"]));
        Assert.Equal(tmp["back.safetensors"], refused.File);
        Assert.Equal(written, new FileInfo(tmp["back.safetensors"]).Length);
    }

    [Fact]
    public void A_loaded_model_file_exports_to_onnx_and_says_whether_it_is_a_classifier()
    {
        using var tmp = new TempDirectory();
        using var model = Trained();
        using (var classifier = model.ExtractClassifier([1, 4], Data.Train, thresholdSamples: 60, seed: 3))
        {
            Assert.Equal([1, 4], classifier.KeptClasses);
            Assert.Equal(["class1", "class4"], classifier.KeptClassNames);
            Assert.Equal(60, classifier.ThresholdSamples);
            Assert.Equal((double)classifier.ParameterCount / classifier.FullParameterCount, classifier.ParameterFraction);
            Assert.Equal(model.Network.ParameterCount, classifier.FullParameterCount);
            Assert.Equal("binary-classifier", classifier.Metadata.Kind);
            classifier.Save(tmp["pair.crxb"]);
        }
        model.Save(tmp["model.ckpt"]);

        using var file = PredictionModel.Load(tmp["pair.crxb"]);
        Assert.True(file.IsClassifier);
        Assert.Equal([1, 4], file.Thresholds!.Select(t => t.Class));
        file.ExportOnnx(tmp["pair.onnx"]);
        using var onnx = PredictionModel.Load(tmp["pair.onnx"]);
        Assert.True(onnx.IsOnnx && onnx.IsClassifier);
        using var images = Pixels(12);
        Assert.Equal(file.Predict(images).Select(p => p.Decisions!.Select(d => d.Yes).ToList()),
            onnx.Predict(images).Select(p => p.Decisions!.Select(d => d.Yes).ToList()));
        // An ONNX model has no network to export; an existing file is not overwritten.
        Assert.Throws<InvalidOperationException>(() => onnx.ExportOnnx(tmp["again.onnx"]));
        Assert.Equal(tmp["pair.onnx"], Assert.Throws<InvalidInputException>(() => file.ExportOnnx(tmp["pair.onnx"])).File);

        using var full = PredictionModel.Load(tmp["model.ckpt"]);
        Assert.False(full.IsClassifier);
        Assert.Null(full.Thresholds);
    }

    [Fact]
    public void FindImages_lists_a_folders_images_in_name_order_and_names_a_path_that_has_none()
    {
        using var tmp = new TempDirectory();
        var written = ImageFolders.WritePngs(Data.Validation, 3, tmp["images"]);
        File.WriteAllText(Path.Combine(tmp["images"], "readme.txt"), "not an image");
        Assert.Equal(written, PredictionModel.FindImages(tmp["images"]));
        Assert.Equal([written[1]], PredictionModel.FindImages(written[1]));
        Directory.CreateDirectory(tmp["empty"]);
        Assert.StartsWith($"{tmp["empty"]}: ", Assert.Throws<InvalidInputException>(() => PredictionModel.FindImages(tmp["empty"])).Message);
        Assert.StartsWith($"{tmp["none"]}: ", Assert.Throws<InvalidInputException>(() => PredictionModel.FindImages(tmp["none"])).Message);
    }

    [Fact]
    public void Coding_schemes_are_generated_saved_loaded_and_listed_through_CodingScheme()
    {
        using var tmp = new TempDirectory();
        var generated = CodingScheme.Generate(10, 10, 5, minDistance: 4, name: "mine/5/10");
        var scheme = generated.Scheme;
        Assert.Equal(("mine/5/10", 10, 10, 5), (scheme.Name, scheme.Classes, scheme.SubNNs, scheme.Active));
        Assert.True(scheme.MinHamming >= 4 && generated.PackingDistance == 4);
        Assert.True(scheme.PerfectlyBalanced);
        Assert.Equal(Enumerable.Repeat(5, 10), scheme.ColumnSums);
        Assert.Equal(45, scheme.DistanceHistogram.Values.Sum());
        Assert.Contains(generated.Selection, new[] { "Exhaustive", "GreedyFromPacking", "GreedyFromAllWords" });
        Assert.Equal(scheme.ToStrings(), CodingScheme.Generate(10, 10, 5, minDistance: 4, name: "mine/5/10").Scheme.ToStrings());

        scheme.Save(tmp["mine.json"]);
        var loaded = CodingScheme.Load(tmp["mine.json"]);
        Assert.Equal(scheme.Name, loaded.Name);
        Assert.Equal(scheme.ToStrings(), loaded.ToStrings());
        Assert.Contains("\"min_hamming\"", scheme.ToJson());

        var published = Assert.Single(CodingScheme.Published, s => s.Name == "cifar10/5/10");
        Assert.True(published.UsedInPaperArchitecture);
        Assert.False(CodingScheme.Parse("cifar10/5/10", published.ToStrings()).UsedInPaperArchitecture);
        Assert.Throws<InvalidInputException>(() => CodingScheme.Generate(1, 10, 5));
    }

    [Fact]
    public void Architectures_come_from_presets_and_files_and_say_their_schemes_through_ArchitectureSpec()
    {
        using var tmp = new TempDirectory();
        Assert.Contains("fashion-tiny", ArchitectureSpec.PresetNames);
        var preset = ArchitectureSpec.Preset("fashion-tiny");
        preset.Save(tmp["arch.json"]);
        var loaded = ArchitectureSpec.Load(tmp["arch.json"]);
        Assert.Equal((preset.Name, preset.Blocks.Count, preset.Stem), (loaded.Name, loaded.Blocks.Count, loaded.Stem));
        Assert.Equal(preset.Blocks, loaded.Blocks, new BlockSpecs());
        Assert.Equal(preset.Name, ArchitectureSpec.Load("fashion-tiny").Name);
        Assert.Contains("neither a preset", Assert.Throws<InvalidInputException>(() => ArchitectureSpec.Load(tmp["missing.json"])).Message);

        var architecture = Synthetic.Architecture();
        Assert.Null(architecture.SchemeOf(0));
        Assert.Equal(("cifar10/3/10", 3), (architecture.SchemeOf(3)!.Name, architecture.SchemeOf(3)!.Active));
        using var model = CodedResNeXtModel.Create(architecture);
        Assert.Equal(model.BinaryClassifierSize(4), architecture.BinaryClassifierSize(4));

        // A scheme made in code is found where the built-in ones are not.
        var mine = CodingScheme.Generate(10, 10, 4, name: "made/4/10").Scheme;
        var custom = architecture with { Blocks = architecture.Blocks.Select(b => b.IsCoded ? b with { Scheme = "made/4/10" } : b).ToList() };
        Assert.Equal(4, custom.SchemeOf(1, [mine])!.Active);
        Assert.Throws<InvalidInputException>(() => custom.SchemeOf(1));
        Assert.True(custom.BinaryClassifierSize(0, [mine]).Exact < custom.BinaryClassifierSize(0, [mine]).Total);
        using var network = new CodedResNeXtNetwork(custom, [mine]);
        Assert.All(network.CodedBlockSchemes, s => Assert.Same(mine, s));
    }

    private sealed class BlockSpecs : IEqualityComparer<IReadOnlyList<BlockSpec>>
    {
        public bool Equals(IReadOnlyList<BlockSpec>? a, IReadOnlyList<BlockSpec>? b) =>
            a!.Count == b!.Count && a.Zip(b).All(p => p.First.Stage == p.Second.Stage && p.First.InChannels == p.Second.InChannels
                && p.First.OutChannels == p.Second.OutChannels && p.First.SubNNs == p.Second.SubNNs && p.First.Scheme == p.Second.Scheme
                && p.First.PDrop == p.Second.PDrop && p.First.Stride == p.Second.Stride);
        public int GetHashCode(IReadOnlyList<BlockSpec> blocks) => blocks.Count;
    }

    [Fact]
    public void The_networks_segments_compose_to_its_forward_and_a_class_path_computes_its_logit()
    {
        using var model = Trained();
        var network = model.Network;
        network.eval();
        using var noGrad = no_grad();
        using var x = (Pixels(6) - 0.5f) / 0.25f;
        var whole = network.call(x);
        int blocks = network.Architecture.Blocks.Count;
        var (features, energies) = network.ForwardIntermediates(network.ForwardStem(x), 0, blocks);
        Assert.True(network.ForwardHead(features).allclose(whole.Logits, 1e-5, 1e-5));
        Assert.Equal(network.CodedBlockSchemes.Count, energies.Count);
        Assert.Equal(whole.BlockEnergies.Count, energies.Count);
        Assert.True(network.ForwardHead(network.ForwardBlocks(network.ForwardStem(x), 0, blocks)).allclose(whole.Logits, 1e-5, 1e-5));

        // Class 3's path: only its subNNs, one logit.
        using var path = network.ExtractPathsOf([3]);
        Assert.Equal([3], path.Architecture.KeptClasses!);
        Assert.Equal([6L, 1L], path.call(x).Logits.shape);
        Assert.True(path.ParameterCount < network.ParameterCount);
    }

    [Fact]
    public void A_checkpoint_says_where_its_run_stands()
    {
        using var tmp = new TempDirectory();
        using var model = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, Synthetic.Training("ignored", epochs: 2),
            new TrainingSetup { RunDirectory = tmp.Path });
        var info = CodedResNeXtModel.Inspect(Path.Combine(tmp.Path, "last.ckpt"));
        Assert.Equal((2, 0), (info.Epoch, info.StepInEpoch));
        Assert.Equal(model.History.Max(m => m.ValidationTop1), info.BestTop1);
        Assert.Equal((2, model.History[^1].ValidationTop1), (info.LastMetrics.Epoch, info.LastMetrics.ValidationTop1));
        Assert.Equal(2, info.Log.Count);

        using var stopped = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, Synthetic.Training("ignored", epochs: 2),
            new TrainingSetup { RunDirectory = tmp["stopped"], MaxSteps = 13 });
        var midway = CodedResNeXtModel.Inspect(Path.Combine(tmp["stopped"], "last.ckpt"));
        Assert.Equal((1, 3), (midway.Epoch, midway.StepInEpoch)); // 10 steps an epoch
    }

    [Fact]
    public void WriteTextFile_replaces_a_file_whole_and_leaves_only_that_file()
    {
        using var tmp = new TempDirectory();
        string path = tmp["comparison.json"];
        CodedResNeXtModel.WriteTextFile(path, "first");
        CodedResNeXtModel.WriteTextFile(path, "{\"top1\": 0.9155}");
        Assert.Equal("{\"top1\": 0.9155}", File.ReadAllText(path));
        Assert.Equal(["comparison.json"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void RequireWritableFolder_tries_a_folder_before_long_work_and_leaves_nothing_there()
    {
        using var tmp = new TempDirectory();
        CodedResNeXtModel.RequireWritableFolder(tmp.Path);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
        var refused = Record.Exception(() => CodedResNeXtModel.RequireWritableFolder("/proc"));
        Assert.True(refused is IOException or UnauthorizedAccessException, refused?.ToString() ?? "no error for /proc");
    }

    [Fact]
    public void Errors_name_a_file_or_an_option_apart_from_the_problem()
    {
        var file = InvalidInputException.ForFile("runs/x.ckpt", "does not exist");
        Assert.Equal(("runs/x.ckpt", null, "does not exist", "runs/x.ckpt: does not exist"), (file.File, file.Option, file.Problem, file.Message));
        var option = InvalidInputException.ForOption("BatchSize", "0 must be at least 1");
        Assert.Equal((null, "BatchSize", "BatchSize: 0 must be at least 1"), (option.File, option.Option, option.Message));
        var moved = option.AboutOption("OodBatchSize");
        Assert.Equal(("OodBatchSize", "0 must be at least 1"), (moved.Option, moved.Problem));
        var plain = new InvalidInputException("something: wrong");
        Assert.Equal((null, null, "something: wrong"), (plain.File, plain.Option, plain.Problem));
    }

    [Fact]
    public void The_coding_objective_gives_the_loss_a_training_loop_of_ones_own_backpropagates()
    {
        using var network = new CodedResNeXtNetwork(Synthetic.Architecture(), generator: new Generator(3));
        network.train();
        using var x = Pixels(10);
        using var labels = tensor(Data.Validation.Labels.Take(10).Select(l => (long)l).ToArray());
        var output = network.call(x);
        var objective = new CodingObjective(Mu: 6);
        var loss = objective.Loss(network, output, labels);
        var expected = nn.functional.cross_entropy(output.Logits, labels) + 6 * objective.CodingLoss(network, output, labels);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 5);
        Assert.True(objective.CodingLoss(network, output, labels).item<float>() > 0);
        loss.backward();
        Assert.All(network.parameters(), p => Assert.NotNull(p.grad));
    }
}
