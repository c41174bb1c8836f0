// Trains a Coded ResNeXt on part of Fashion-MNIST, cuts out the binary classifier of one class, predicts with it,
// saves it and loads it back. Run it with: dotnet run -c Release --project samples/TrainExtractPredict
using CodedResNeXt;
using CodedResNeXt.Prediction;
using CodedResNeXt.Training;
using static TorchSharp.torch;

// Fashion-MNIST as Debian's dataset-fashion-mnist installs it; 300 training and 100 validation images per class.
var data = TrainingData.Load("fashion-mnist").FirstPerClass(trainPerClass: 300, validationPerClass: 100);

// The dataset's recipe on the smallest preset, stopped after 200 optimizer steps, on one thread (so every run prints the
// same figures); nothing is written to disk.
var options = TrainingOptions.For("fashion-mnist") with { Architecture = "fashion-tiny", BatchSize = 64, Epochs = 10 };
using var model = CodedResNeXtModel.Train(data, options, new TrainingSetup { MaxSteps = 200, Threads = 1, ApplyProcessSettings = true });
var evaluation = model.Evaluate(data.Validation);
Console.WriteLine($"{model.History.Count} epochs: validation top-1 {evaluation.Classification.Top1:P1}, early decoders " +
                  string.Join(" ", evaluation.EarlyDecoding.Accuracy.Select(a => a.ToString("P1"))));

// The binary classifier of Trouser (class 1): only the subNNs that class's codewords name.
using var trouser = model.ExtractBinaryClassifier(classIndex: 1, data.Train);
Console.WriteLine($"trouser classifier: {trouser.ParameterFraction:P1} of the parameters");

// Eight validation images as a tensor of pixels in [0, 1].
var validation = data.Validation;
using var images = tensor(validation.Pixels[..(8 * validation.ImageBytes)].ToArray(), [8, 1, 28, 28]).to_type(ScalarType.Float32).div_(255f);
using (var predictor = trouser.Predictor())
    foreach (var (prediction, i) in predictor.Predict(images).Select((p, i) => (p, i)))
        Console.WriteLine($"  {validation.ClassNames[validation.Label(i)],-12} trouser? {(prediction.Decisions![0].Yes ? "yes" : "no")}");

// Both model files, saved and loaded back: they answer as the models in memory do.
Directory.CreateDirectory("sample-output");
model.Save("sample-output/fashion-tiny.ckpt");
trouser.Save("sample-output/trouser.crxb");
using var reloaded = PredictionModel.Load("sample-output/trouser.crxb");
using var full = PredictionModel.Load("sample-output/fashion-tiny.ckpt");
bool same = reloaded.Predict(images).Select(p => p.Decisions![0].Yes).SequenceEqual(trouser.Predictor().Predict(images).Select(p => p.Decisions![0].Yes));
Console.WriteLine($"reloaded classifier agrees: {same}; reloaded network says image 0 is {full.Predict(images)[0].Prediction!.Name}");
