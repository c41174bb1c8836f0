using CodedResNeXt.CodingSchemes;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.PublicApi;

/// <summary>The common path through <see cref="CodedResNeXtModel"/>: train in memory, evaluate, extract, predict, save, load.</summary>
public class CodedResNeXtModelTests
{
    private static readonly TrainingData Data = TrainingData.From(Synthetic.Splits(), []);

    // An architecture made in code (not a preset or a file) with the synthetic recipe.
    private static CodedResNeXtModel TrainInMemory(TrainingOptions? options = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancel = default) =>
        CodedResNeXtModel.Train(Synthetic.Architecture(), Data, options ?? Synthetic.Training("ignored", epochs: 3), progress: progress,
            cancellationToken: cancel);

    [Fact]
    public void An_architecture_made_in_code_trains_in_memory_writing_nothing_and_leaving_the_thread_count_alone()
    {
        using var tmp = new TempDirectory();
        string before = Directory.GetCurrentDirectory();
        int threads = get_num_threads();
        var seen = new List<TrainingProgress>();
        using var model = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, Synthetic.Training("ignored", epochs: 3), new TrainingSetup { Threads = threads + 1 },
            new SynchronousProgress(seen.Add));

        Assert.Equal(threads, get_num_threads());
        Assert.Equal(3, model.History.Count);
        Assert.Equal("tiny", model.Architecture.Name);
        Assert.Equal("tiny", model.TrainingOptions!.Architecture);
        Assert.NotEmpty(seen);
        Assert.All(seen, p => Assert.InRange(p.Epoch, 1, 3));
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
        Assert.False(Directory.Exists(Path.Combine(before, "runs")) && Directory.GetFileSystemEntries(Path.Combine(before, "runs")).Length > 0
            && Directory.GetLastWriteTimeUtc(Path.Combine(before, "runs")) > DateTime.UtcNow.AddMinutes(-1));
        // The history's last validation is what evaluating the returned network gives: it is the trained one.
        Assert.Equal(model.History[^1].ValidationTop1, model.Evaluate(Data.Validation).Classification.Top1, 6);
    }

    [Fact]
    public void In_memory_training_equals_training_into_a_run_folder()
    {
        using var tmp = new TempDirectory();
        var options = Synthetic.Training("ignored", epochs: 2);
        using var inMemory = TrainInMemory(options);
        using var inFolder = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, options, new TrainingSetup { RunDirectory = tmp.Path });
        Assert.True(File.Exists(Path.Combine(tmp.Path, "last.ckpt")));
        Assert.Equal(inMemory.History.Select(m => m.TrainLoss), inFolder.History.Select(m => m.TrainLoss));
        using var loaded = CodedResNeXtModel.Load(Path.Combine(tmp.Path, "last.ckpt"));
        foreach (var (a, b) in inMemory.Network.parameters().Zip(loaded.Network.parameters()))
            Assert.True(a.eq(b).all().item<bool>(), "the folder's last.ckpt holds the in-memory run's weights");
    }

    [Fact]
    public void Max_steps_and_cancellation_are_returned_not_written_into_the_input()
    {
        using (var stopped = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, Synthetic.Training("ignored", epochs: 3), new TrainingSetup { MaxSteps = 13 }))
        {
            // 200 images in batches of 20: 10 steps an epoch, so step 13 is inside epoch 2.
            Assert.Equal(13, stopped.StoppedAtStep);
            Assert.Single(stopped.History);
        }
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        using var cancelled = TrainInMemory(cancel: cancel.Token);
        Assert.Empty(cancelled.History);
        Assert.True(cancelled.Cancelled);
        Assert.Equal(0, cancelled.StoppedAtStep);
    }

    [Fact]
    public void Cancelled_mid_epoch_the_model_says_so_and_its_run_folder_resumes_to_the_uninterrupted_weights()
    {
        using var tmp = new TempDirectory();
        var options = Synthetic.Training("ignored", epochs: 2);
        using var straight = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, options);
        Assert.False(straight.Cancelled);

        // Cancelled from the progress report of step 15 (epoch 2 of 10-step epochs): the step in flight is the last.
        using var cancel = new CancellationTokenSource();
        var setup = new TrainingSetup { RunDirectory = tmp.Path };
        using (var stopped = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, options, setup,
                   new SynchronousProgress(p => { if (p.Epoch == 2 && p.Step >= 5) cancel.Cancel(); }), cancel.Token))
        {
            Assert.True(stopped.Cancelled);
            Assert.Equal(15, stopped.StoppedAtStep);
            Assert.Single(stopped.History);
        }
        var state = Checkpoint.ReadInfo(Path.Combine(tmp.Path, "last.ckpt")).State;
        Assert.Equal((1, 5), (state.Epoch, state.StepInEpoch));

        using var resumed = CodedResNeXtModel.Train(Synthetic.Architecture(), Data, options, setup with { Resume = true });
        Assert.False(resumed.Cancelled);
        Assert.Equal(2, Assert.Single(resumed.History).Epoch);
        foreach (var (a, b) in straight.Network.parameters().Zip(resumed.Network.parameters()))
            Assert.True(a.eq(b).all().item<bool>(), "resumed from the cancelled step, the weights are the uninterrupted run's");
    }

    [Fact]
    public void A_folder_datasets_augmentation_without_a_resizing_crop_is_refused_naming_the_option()
    {
        using var tmp = new TempDirectory();
        ImageFolders.Write(tmp["images"], classes: 10, train: 2, val: 1, side: 20);
        var data = TrainingData.From(CodedResNeXt.Data.DatasetRegistry.Load("folder", new CodedResNeXt.Data.DatasetOptions { DataDir = tmp["images"], ImageSize = 16 }), []);
        var options = TrainingOptions.For("folder", 16) with { Architecture = ImageFolders.ArchitectureFile(tmp.Path, 16), Epochs = 1, BatchSize = 10 };
        var plain = options with { Augmentation = new CodedResNeXt.Data.Augmentation.AugmentationOptions { HorizontalFlip = true } };
        var refused = Assert.Throws<InvalidInputException>(() => CodedResNeXtModel.Train(data, plain));
        Assert.Equal("Augmentation", refused.Option);
        Assert.Contains("random-resized crop", refused.Message);
        using var trained = CodedResNeXtModel.Train(data, options); // the dataset's own recipe resizes
        Assert.Single(trained.History);
    }

    [Fact]
    public void Saving_into_a_folder_that_does_not_exist_names_the_path_the_user_gave()
    {
        using var model = CodedResNeXtModel.Create(Synthetic.Architecture());
        var error = Assert.Throws<InvalidInputException>(() => model.Save("~/x.ckpt"));
        Assert.Equal("~/x.ckpt", error.File);
        Assert.Contains("~ is expanded by a shell", error.Message);
        Assert.DoesNotContain(".tmp", error.Message);
    }

    [Fact]
    public void A_coding_scheme_made_in_code_trains_without_a_file()
    {
        var generated = CodingScheme.Generate(10, 10, 4, name: "made-in-code/4/10").Scheme;
        var architecture = Synthetic.Architecture() with
        {
            Blocks = Synthetic.Architecture().Blocks.Select(b => b.IsCoded ? b with { Scheme = generated.Name } : b).ToList(),
        };
        using var model = CodedResNeXtModel.Train(architecture, Data, Synthetic.Training("ignored", epochs: 1), schemes: [generated]);
        Assert.Single(model.History);
        Assert.All(model.Network.CodedBlocks, b => Assert.Equal("made-in-code/4/10", b.Block.Scheme!.Name));
        // The file carries the scheme's codewords, so it loads with nothing else.
        using var tmp = new TempDirectory();
        model.Save(tmp["model.ckpt"]);
        using var loaded = CodedResNeXtModel.Load(tmp["model.ckpt"]);
        Assert.Equal(generated.ToStrings(), loaded.Metadata.SchemeSet["made-in-code/4/10"].ToStrings());
    }

    [Fact]
    public void A_model_and_a_classifier_in_memory_export_to_onnx_files_that_predict_as_they_do()
    {
        using var tmp = new TempDirectory();
        using var model = TrainInMemory(Synthetic.Training("ignored", epochs: 1));
        using var classifier = model.ExtractBinaryClassifier(2, Data.Train);
        model.ExportOnnx(tmp["model.onnx"]);
        classifier.ExportOnnx(tmp["classifier.onnx"]);
        Assert.Throws<InvalidInputException>(() => model.ExportOnnx(tmp["model.onnx"])); // never overwritten

        var validation = Data.Validation;
        using var images = tensor(validation.Pixels[..(6 * validation.ImageBytes)].ToArray(), [6, 1, Synthetic.Side, Synthetic.Side]).to_type(ScalarType.Float32).div_(255f);
        using var onnxModel = PredictionModel.Load(tmp["model.onnx"]);
        using var onnxClassifier = PredictionModel.Load(tmp["classifier.onnx"]);
        Assert.True(onnxModel.IsOnnx && onnxClassifier.IsOnnx);
        using var predictor = model.Predictor();
        using var classifierPredictor = classifier.Predictor();
        foreach (var (a, b) in predictor.Predict(images).Zip(onnxModel.Predict(images)))
        {
            Assert.Equal(a.Prediction!.Class, b.Prediction!.Class);
            Assert.All(a.Logits!.Zip(b.Logits!), p => Assert.Equal(p.First, p.Second, 3));
        }
        Assert.Equal(classifierPredictor.Predict(images).Select(p => p.Decisions![0].Yes), onnxClassifier.Predict(images).Select(p => p.Decisions![0].Yes));
    }

    [Fact]
    public void A_predictor_used_after_its_model_or_classifier_is_disposed_says_so()
    {
        var model = TrainInMemory(Synthetic.Training("ignored", epochs: 1));
        var classifier = model.ExtractBinaryClassifier(1, Data.Train);
        using var predictor = model.Predictor();
        using var classifierPredictor = classifier.Predictor();
        using var images = zeros(2, 1, Synthetic.Side, Synthetic.Side);
        Assert.Equal(2, predictor.Predict(images).Count);
        classifier.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => predictor.Predict(images));
        Assert.Throws<ObjectDisposedException>(() => classifierPredictor.Predict(images));
        Assert.Throws<ObjectDisposedException>(() => model.Evaluate(Data.Validation));
        Assert.Throws<ObjectDisposedException>(() => model.Predictor());
        Assert.Throws<ObjectDisposedException>(() => classifier.Save("never.crxb"));
    }

    [Fact]
    public void A_classifier_in_memory_predicts_from_a_tensor_as_its_saved_file_predicts_from_image_files()
    {
        using var tmp = new TempDirectory();
        using var model = TrainInMemory();
        using var classifier = model.ExtractBinaryClassifier(3, Data.Train);
        Assert.InRange(classifier.ParameterFraction, 0.05, 0.95);

        var validation = Data.Validation;
        int n = 10;
        using var pixels = tensor(validation.Pixels[..(n * validation.ImageBytes)].ToArray(), [n, 1, Synthetic.Side, Synthetic.Side])
            .to_type(ScalarType.Float32).div_(255f);
        using var inMemory = classifier.Predictor();
        var fromTensor = inMemory.Predict(pixels);

        string file = Path.Combine(tmp.Path, "class3.crxb");
        classifier.Save(file);
        var images = ImageFolders.WritePngs(validation, n, Path.Combine(tmp.Path, "images"));
        using var loaded = PredictionModel.Load(file);
        var fromFiles = loaded.Predict(images);

        Assert.Equal(n, fromTensor.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(fromFiles[i].Decisions![0].Yes, fromTensor[i].Decisions![0].Yes);
            Assert.Equal(fromFiles[i].Decisions![0].Score, fromTensor[i].Decisions![0].Score, 4);
        }
        // After three epochs the classifier has learnt most of the synthetic task: most of its answers are right.
        int right = Enumerable.Range(0, n).Count(i => (validation.Label(i) == 3) == fromTensor[i].Decisions![0].Yes);
        Assert.True(right >= 7, $"{right} of {n} decisions right");
    }

    [Fact]
    public void A_saved_model_loads_back_with_the_same_predictions_and_early_decoders()
    {
        using var tmp = new TempDirectory();
        using var model = TrainInMemory();
        string file = Path.Combine(tmp.Path, "model.ckpt");
        model.Save(file);
        using var loaded = CodedResNeXtModel.Load(file);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        var a = model.Evaluate(Data.Validation);
        var b = loaded.Evaluate(Data.Validation);
        Assert.Equal(a.Classification.Top1, b.Classification.Top1);
        Assert.Equal(a.EarlyDecoding.Accuracy, b.EarlyDecoding.Accuracy);
        Assert.Equal(model.History[^1].Epoch, Checkpoint.ReadInfo(file).State.Epoch);
    }

    [Fact]
    public void A_preset_builds_untrained_with_its_parameter_count_and_bad_class_names_are_refused()
    {
        using var model = CodedResNeXtModel.Create("fashion-tiny");
        Assert.Equal(CodedResNeXt.Model.Presets.Get("fashion-tiny").Classes, model.ClassNames.Count);
        Assert.Empty(model.History);
        Assert.Null(model.TrainingOptions);
        var e = Assert.Throws<InvalidInputException>(() => CodedResNeXtModel.Create("fashion-tiny", classNames: ["a", "b"]));
        Assert.Contains("2 names for the 10 classes", e.Message);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, too late to assert on).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
