// Train a small Coded ResNeXt on part of Fashion-MNIST, extract the binary classifier of one class (Trouser),
// save it, load it back and predict with it.
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Training;

const int Trouser = 1;
string work = Directory.CreateTempSubdirectory("train-extract-predict-").FullName;
try
{
    // Every 20th training image (3,000) and every 10th validation image (1,000): 2 epochs of 100 steps, seconds on
    // one CPU thread (more threads gain little on a network this small).
    var full = DatasetCatalog.Load("fashion-mnist", new DatasetOptions());
    var splits = new DatasetSplits(Every(full.Train, 20), Every(full.Test, 10));
    var options = TrainingOptions.For("fashion-mnist") with
    {
        Architecture = "fashion-tiny", Epochs = 2, BatchSize = 30, Threads = 1, Workers = 1,
    };
    var data = TrainingData.From(splits, options.ExcludeClasses, options.FixedNormalization());
    var run = new TrainingRun(options, data, Path.Combine(work, "run"), CodingSchemeSet.BuiltInsAndFiles);
    var history = new Trainer(run).Run(resume: false);
    Console.WriteLine($"trained fashion-tiny on {data.Train.Count} images for {history.Count} epochs: validation top-1 {history[^1].ValidationTop1:F3}");

    string saved = Path.Combine(work, "trouser.crxb");
    var (network, info) = Checkpoint.Load(run.BestCheckpointPath);
    using (network)
    using (var classifier = BinaryClassifierExtraction.Extract(network, info.Model, run.BestCheckpointPath, [Trouser], data.Train))
    {
        Console.WriteLine($"extracted the {classifier.Info.KeptClassNames[0]} classifier: {classifier.Info.ParameterFraction:P1} of the network's parameters");
        BinaryClassifierFile.Save(saved, classifier);
    }

    using var model = PredictionModel.Load(saved);
    var sources = Enumerable.Range(0, data.Validation.Count).Select(i => new InputImage($"validation image {i}", 28, 28, false)).ToList();
    var predictions = model.Predict(data.Validation, sources);
    int right = predictions.Select((p, i) => p.Decisions![0].Yes == (data.Validation.Label(i) == Trouser)).Count(ok => ok);
    Console.WriteLine($"reloaded {Path.GetFileName(saved)}: {right} of {predictions.Count} validation images decided right");
}
finally
{
    Directory.Delete(work, recursive: true);
}

static ImageDataset Every(ImageDataset images, int step) =>
    images.Subset(Enumerable.Range(0, images.Count).Where(i => i % step == 0).ToList());
