using CodedResNeXt.Evaluation;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Decoding;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Tests.BinaryClassifiers;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Explanation;

/// <summary>
/// <see cref="PredictionModel.Explain(string, ExplanationOptions?)"/> against independent computations: the network's
/// own segments, the codewords as strings, an extracted classifier's gradient, early exit's own pass, ONNX Runtime.
/// </summary>
[Collection(TrainedTinyModelCollection.Name)]
public class ExplanationTests(TrainedTinyModel model)
{
    private const int Images = 6;

    // Image i of the validation set as the network sees it, [1, C, H, W] pixels in [0, 1] (before normalization).
    private Tensor Pixels(int i)
    {
        var images = model.Data.Validation;
        return tensor(images.Image(i).ToArray().Select(b => b / 255f).ToArray(), [1, images.Channels, images.Height, images.Width]);
    }

    private static Tensor Normalize(Tensor pixels, PredictionModel loaded)
    {
        var mean = tensor(loaded.Normalization.Mean.ToArray()).reshape(1, -1, 1, 1);
        var std = tensor(loaded.Normalization.Std.ToArray()).reshape(1, -1, 1, 1);
        return (pixels - mean) / std;
    }

    [Fact]
    public void Each_blocks_energies_are_ForwardIntermediates_and_its_distances_vote_and_margin_follow_from_the_codewords()
    {
        string dir = PredictionTests.WriteValidationPngs(model, Images);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var network = loaded.Network;
        for (int i = 0; i < Images; i++)
        {
            var explanation = loaded.Explain(Path.Combine(dir, $"img{i:D2}.png"));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = Normalize(Pixels(i), loaded);
            var blocks = network.ForwardIntermediates(network.ForwardStem(x), 0, network.Blocks.Count);
            var probabilities = nn.functional.softmax(network.ForwardHead(blocks.Output), 1)[0].data<float>().ToArray();
            int predicted = Array.IndexOf(probabilities, probabilities.Max());
            int runnerUp = Enumerable.Range(0, probabilities.Length).Where(k => k != predicted).MaxBy(k => probabilities[k]);

            Assert.Equal(predicted, explanation.Prediction.Prediction!.Class);
            Assert.Equal(network.CodedBlocks.Count, explanation.Blocks.Count);
            for (int b = 0; b < network.CodedBlocks.Count; b++)
            {
                var block = explanation.Blocks[b];
                var coded = network.CodedBlocks[b];
                var expected = blocks.Energies[b][0].data<float>().ToArray();
                Assert.Equal(coded.BlockIndex, block.BlockIndex);
                Assert.Equal(expected.Length, block.Energies.Count);
                for (int n = 0; n < expected.Length; n++) Assert.Equal(expected[n], block.Energies[n], 1e-5);
                // Normalized energies sum to N.
                Assert.Equal(expected.Length, block.Energies.Sum(), 1e-3);

                var words = coded.Scheme.ToStrings();
                Assert.Equal(words[predicted], block.PredictedCodeword);
                Assert.Equal(runnerUp, block.RunnerUpClass);
                Assert.Equal(words[runnerUp], block.RunnerUpCodeword);
                double scale = (double)coded.Scheme.Active / coded.Scheme.SubNNs;
                var distances = words.Select(w => Math.Sqrt(w.Select((digit, n) => Math.Pow(expected[n] * scale - (digit - '0'), 2)).Sum())).ToArray();
                for (int k = 0; k < distances.Length; k++) Assert.Equal(distances[k], block.Distances[k], 1e-4);
                var sorted = distances.Order().ToArray();
                Assert.Equal(Array.IndexOf(distances, sorted[0]), block.Vote.Class);
                Assert.Equal(sorted[1] - sorted[0], block.Margin, 1e-4);
            }
        }
    }

    [Fact]
    public void Images_held_in_memory_predict_and_explain_as_their_files_do()
    {
        string dir = PredictionTests.WriteValidationPngs(model, Images);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var files = Enumerable.Range(0, Images).Select(i => Path.Combine(dir, $"img{i:D2}.png")).ToList();
        var fromFiles = loaded.Predict(files);
        var fromBytes = loaded.Predict(files.Select(f => new EncodedImage(Path.GetFileName(f), File.ReadAllBytes(f))).ToList());
        for (int i = 0; i < Images; i++)
        {
            Assert.Equal(Path.GetFileName(files[i]), fromBytes[i].Image.File);
            Assert.Equal(fromFiles[i].Logits, fromBytes[i].Logits);
        }
        var explained = loaded.Explain(new EncodedImage("x.png", File.ReadAllBytes(files[0])));
        // One image alone rather than in a batch of six: the same up to float rounding.
        Assert.All(fromFiles[0].Logits!.Zip(explained.Prediction.Logits!), p => Assert.Equal(p.First, p.Second, 1e-5));
        Assert.Equal(explained.Saliency!.Path, loaded.Explain(files[0]).Saliency!.Path);
    }

    [Fact]
    public void The_path_saliency_is_the_extracted_classifiers_input_gradient_and_differs_from_the_full_networks()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 2);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        for (int i = 0; i < 2; i++)
        {
            // A class other than the predicted one for the second image: the saliency class is chosen, not implied.
            int? chosen = i == 0 ? null : 3;
            var explanation = loaded.Explain(Path.Combine(dir, $"img{i:D2}.png"), new ExplanationOptions { SaliencyClass = chosen });
            var maps = explanation.Saliency!;
            int k = chosen ?? explanation.Prediction.Prediction!.Class;
            Assert.Equal(k, maps.Class);
            Assert.Null(explanation.SaliencyUnavailable);

            using var extracted = loaded.Network.ExtractPathsOf([k]);
            var pathGradient = Gradient(extracted, loaded, Pixels(i), output: 0);
            var fullGradient = Gradient(loaded.Network, loaded, Pixels(i), output: k);
            Assert.Equal(pathGradient.Length, maps.Path.Count);
            double scale = pathGradient.Max(Math.Abs);
            Assert.True(scale > 0);
            for (int p = 0; p < pathGradient.Length; p++)
            {
                Assert.Equal(pathGradient[p], maps.Path[p], 1e-4 * scale);
                Assert.Equal(fullGradient[p], maps.Full![p], 1e-4 * fullGradient.Max(Math.Abs));
            }
            // The path's map is not the full network's: the test could tell them apart.
            Assert.Contains(Enumerable.Range(0, pathGradient.Length), p => Math.Abs(pathGradient[p] - fullGradient[p]) > 1e-2 * scale);
            Assert.Equal(maps.Height * maps.Width, maps.Magnitude().Length);
        }
    }

    [Fact]
    public void Grad_cam_at_the_last_coded_block_weights_its_channels_by_the_mean_gradient()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var maps = loaded.Explain(Path.Combine(dir, "img00.png")).Saliency!;
        var network = loaded.Network;
        int block = network.CodedBlocks[^1].BlockIndex;
        Assert.Equal(block, maps.GradCamBlock);

        using var scope = NewDisposeScope();
        // The block's output as a leaf, the rest of the network run on it, backpropagated.
        var x = Normalize(Pixels(0), loaded);
        Tensor activations;
        using (no_grad()) activations = network.ForwardBlocks(network.ForwardStem(x), 0, block + 1).detach().contiguous();
        var leaf = activations.clone().requires_grad_(true);
        network.ForwardHead(network.ForwardBlocks(leaf, block + 1, network.Blocks.Count))[0, maps.Class].backward();
        foreach (var p in network.parameters()) p.grad?.zero_();
        int c = (int)leaf.shape[1], h = (int)leaf.shape[2], w = (int)leaf.shape[3];
        var a = activations.data<float>().ToArray();
        var g = leaf.grad!.contiguous().data<float>().ToArray();
        var cam = new float[h * w];
        for (int k = 0; k < c; k++)
        {
            double weight = Enumerable.Range(0, h * w).Average(p => g[k * h * w + p]);
            for (int p = 0; p < h * w; p++) cam[p] += (float)(weight * a[k * h * w + p]);
        }
        var coarse = tensor(cam.Select(v => Math.Max(0f, v)).ToArray(), [1, 1, h, w]);
        var expected = nn.functional.interpolate(coarse, [loaded.ImageSize, loaded.ImageSize], mode: InterpolationMode.Bilinear, align_corners: false)
            .data<float>().ToArray();
        Assert.Equal(expected.Length, maps.GradCam!.Count);
        double scale = expected.Max();
        Assert.True(scale > 0);
        for (int p = 0; p < expected.Length; p++) Assert.Equal(expected[p], maps.GradCam[p], 1e-4 * scale);
    }

    // d logits[0, output] / d pixels by backpropagation, the network's weights untouched.
    private static float[] Gradient(CodedResNeXtNetwork network, PredictionModel loaded, Tensor pixels, int output)
    {
        using var scope = NewDisposeScope();
        var input = pixels.requires_grad_(true);
        var logits = network.call(Normalize(input, loaded)).Logits;
        logits[0, output].backward();
        var gradient = input.grad!.data<float>().ToArray();
        foreach (var p in network.parameters()) p.grad?.zero_();
        return gradient;
    }

    [Fact]
    public void Where_early_exit_would_stop_the_image_is_where_an_early_exit_pass_stops_it()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 20);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var network = loaded.Network;
        var validation = PredictionTests.FirstImages(model, 20);
        EarlyExitCalibration calibration;
        EarlyExitPredictions passes;
        using (var x = TrainedTinyModel.Normalized(validation, loaded.Normalization))
        {
            // Thresholds at the median margin of the first coded block and at a low one in the last: some images leave at
            // each, some run to the head (a calibration of this tiny network on 20 images could leave none anywhere).
            double[] Margins(int b)
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var energies = network.call(x).BlockEnergies[b];
                return EarlyExit.Decode(energies, network.CodedBlocks[b]).Margin.to_type(ScalarType.Float64).data<double>().ToArray();
            }
            int last = network.CodedBlocks.Count - 1;
            var thresholds = new double?[network.CodedBlocks.Count];
            thresholds[0] = Margins(0).Order().ElementAt(10);
            thresholds[last] = Margins(last).Order().ElementAt(5);
            calibration = new EarlyExitCalibration(0.9, network.CodedBlocks.Select(c => c.BlockIndex).ToList(), thresholds, 20);
            passes = EarlyExit.Predict(network, x, calibration);
        }
        Assert.Contains(passes.ExitBlock, b => b == network.CodedBlocks[0].BlockIndex);
        Assert.Contains(passes.ExitBlock, b => b == -1);
        var cost = ComputeCost.Of(loaded.Architecture);
        for (int i = 0; i < 20; i++)
        {
            var explanation = loaded.Explain(Path.Combine(dir, $"img{i:D2}.png"), new ExplanationOptions { Calibrations = [calibration] });
            var stop = Assert.Single(explanation.EarlyExits);
            Assert.Equal(0.9, stop.Target);
            Assert.Equal(passes.ExitBlock[i] >= 0 ? passes.ExitBlock[i] : null, stop.ExitBlock);
            Assert.Equal((double)passes.Cost[i] / cost.Total, stop.ComputeFraction, 1e-9);
            Assert.Equal((int)passes.Predicted[i], stop.Class);
        }
    }

    [Fact]
    public void An_onnx_model_explains_all_but_the_saliency_and_says_so_and_classifiers_answer_as_they_predict()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 3);
        string onnx = model.NewPath(".onnx");
        OnnxModelExport.ExportFile(model.CheckpointPath, onnx);
        string crxb = model.NewPath(".crxb");
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using (network)
        using (var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [1], model.Data.Train))
            BinaryClassifierFile.Save(crxb, binary);

        using var checkpoint = PredictionModel.Load(model.CheckpointPath);
        using var runtime = PredictionModel.Load(onnx);
        using var classifier = PredictionModel.Load(crxb);
        var options = new ExplanationOptions { Classifiers = new Dictionary<string, PredictionModel> { ["trouser"] = classifier } };
        for (int i = 0; i < 3; i++)
        {
            string file = Path.Combine(dir, $"img{i:D2}.png");
            var fromTorch = checkpoint.Explain(file, options);
            var fromOnnx = runtime.Explain(file, options);
            Assert.Null(fromOnnx.Saliency);
            Assert.Contains("ONNX", fromOnnx.SaliencyUnavailable);
            Assert.Equal(fromTorch.Prediction.Prediction!.Class, fromOnnx.Prediction.Prediction!.Class);
            for (int b = 0; b < fromTorch.Blocks.Count; b++)
                for (int n = 0; n < fromTorch.Blocks[b].Energies.Count; n++)
                    Assert.Equal(fromTorch.Blocks[b].Energies[n], fromOnnx.Blocks[b].Energies[n], 1e-3);

            var expected = classifier.Predict([file])[0].Decisions!;
            foreach (var explanation in new[] { fromTorch, fromOnnx })
            {
                var answer = Assert.Single(explanation.Classifiers);
                Assert.Equal("trouser", answer.Model);
                Assert.Equal(expected, answer.Decisions);
            }
            // The classifier explains itself: its own decisions, and its path's gradient with no full network's beside it.
            var own = classifier.Explain(file);
            Assert.Empty(own.Blocks);
            Assert.Equal(expected, Assert.Single(own.Classifiers).Decisions);
            Assert.Equal(1, own.Saliency!.Class);
            Assert.Null(own.Saliency.Full);
        }
    }
}
