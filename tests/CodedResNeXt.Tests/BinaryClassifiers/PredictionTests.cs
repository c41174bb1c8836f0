using CodedResNeXt.ModelFiles;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Prediction;
using CodedResNeXt.Data;
using CodedResNeXt.Decoding;
using CodedResNeXt.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.BinaryClassifiers;

[Collection(TrainedTinyModelCollection.Name)]
public class PredictionTests(TrainedTinyModel model)
{
    private const int Images = 20;

    [Fact]
    public void An_extracted_classifier_says_yes_exactly_when_its_logit_reaches_the_stored_threshold()
    {
        string path = model.NewPath(".crxb");
        var (network, info) = Checkpoint.Load(model.CheckpointPath);
        using (network)
        using (var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [1], model.Data.Train))
            BinaryClassifierFile.Save(path, binary);
        string dir = WriteValidationPngs(model, Images);

        using var loaded = PredictionModel.Load(path);
        var predictions = loaded.Predict(InputImages.Find(dir));

        Assert.Equal(BinaryClassifierFile.Kind, loaded.Meta.Kind);
        double threshold = loaded.Classifier!.Thresholds[0].Threshold;
        var expected = Scores(loaded, FirstImages(model, Images));
        Assert.Equal(Images, predictions.Count);
        for (int i = 0; i < Images; i++)
        {
            Assert.Equal($"img{i:D2}.png", Path.GetFileName(predictions[i].Image.File));
            Assert.False(predictions[i].Image.Resized);
            Assert.Null(predictions[i].Prediction);
            var d = Assert.Single(predictions[i].Decisions!);
            Assert.Equal((1, "Trouser", threshold), (d.Class, d.Name, d.Threshold));
            Assert.Equal(expected[i, 0], d.Score, 1e-5);
            Assert.Equal(d.Score >= d.Threshold, d.Yes);
        }
        // Both answers occur, so the consistency above was tested on each side of the threshold.
        Assert.Contains(predictions, p => p.Decisions![0].Yes);
        Assert.Contains(predictions, p => !p.Decisions![0].Yes);
    }

    [Fact]
    public void A_checkpoint_predicts_the_arg_max_class_its_softmax_probability_and_each_early_decoders_class()
    {
        string dir = WriteValidationPngs(model, Images);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var predictions = loaded.Predict(InputImages.Find(dir));

        Assert.Equal(Checkpoint.Kind, loaded.Meta.Kind);
        Assert.Null(loaded.Classifier);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = loaded.Network.call(TrainedTinyModel.Normalized(FirstImages(model, Images), loaded.Normalization));
        var classes = output.Logits.argmax(1).data<long>().ToArray();
        var probabilities = nn.functional.softmax(output.Logits, 1);
        var early = loaded.Network.CodedBlocks.Select((b, j) => EarlyDecoder.Predict(output.BlockEnergies[j], b).data<long>().ToArray()).ToList();
        int correct = 0;
        for (int i = 0; i < Images; i++)
        {
            var p = predictions[i];
            Assert.Null(p.Decisions);
            Assert.Equal(classes[i], p.Prediction!.Class);
            Assert.Equal(model.Data.ClassNames[(int)classes[i]], p.Prediction.Name);
            Assert.Equal(probabilities[i, classes[i]].item<float>(), p.Prediction.Probability, 1e-5);
            Assert.Equal([1, 2, 3], p.EarlyDecoders!.Select(e => e.BlockIndex));
            Assert.Equal(early.Select(e => e[i]), p.EarlyDecoders!.Select(e => (long)e.Class));
            Assert.All(p.EarlyDecoders!, e => Assert.InRange(e.Confidence, 0.0, 1.0));
            if (p.Prediction.Class == model.Data.Validation.Label(i)) correct++;
        }
        // Well above chance (2 of 20): the images reached the network as it was trained to see them.
        Assert.True(correct >= 6, $"{correct} of {Images} right");
    }

    [Fact]
    public void Images_become_gray_by_luminance_for_one_channel_models_and_are_resized_when_their_size_differs()
    {
        string dir = model.NewPath("");
        Directory.CreateDirectory(dir);
        var color = new SKColor(200, 100, 50);
        string same = WriteSolid(Path.Combine(dir, "same.png"), 8, 8, color);
        string larger = WriteSolid(Path.Combine(dir, "larger.png"), 16, 12, color);
        string[] names = ["a", "b"];

        var (gray, sources) = InputImages.Load([same, larger], 1, 8, names);
        // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
        Assert.All(gray.Pixels.ToArray(), b => Assert.Equal(124, b));
        Assert.Equal(new InputImage(same, 8, 8, false), sources[0]);
        Assert.Equal(new InputImage(larger, 16, 12, true), sources[1]);

        var (rgb, _) = InputImages.Load([same], 3, 8, names);
        var planes = rgb.Image(0).ToArray();
        Assert.Equal((200, 100, 50), (planes[0], planes[64], planes[128]));
        Assert.Equal(3, rgb.Channels);
    }

    [Fact]
    public void A_directory_gives_its_images_sorted_and_unreadable_images_are_one_line_errors_naming_the_file()
    {
        string dir = model.NewPath("");
        Directory.CreateDirectory(dir);
        foreach (var name in new[] { "b.png", "a.JPG", "c.jpeg" }) WriteSolid(Path.Combine(dir, name), 8, 8, SKColors.White);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image");
        Assert.Equal(["a.JPG", "b.png", "c.jpeg"], InputImages.Find(dir).Select(Path.GetFileName));

        string broken = Path.Combine(dir, "d.png");
        File.WriteAllText(broken, "not a png");
        var e = Assert.Throws<InvalidInputException>(() => InputImages.Load(InputImages.Find(dir), 1, 8, ["a"]));
        Assert.Equal($"{broken}: cannot decode image (not a readable JPEG or PNG)", e.Message);

        string empty = model.NewPath("");
        Directory.CreateDirectory(empty);
        Assert.Equal($"{empty}: the directory holds no .png, .jpg or .jpeg image",
            Assert.Throws<InvalidInputException>(() => InputImages.Find(empty)).Message);
        Assert.Equal($"{empty}/x.png: no such file or directory",
            Assert.Throws<InvalidInputException>(() => InputImages.Find(Path.Combine(empty, "x.png"))).Message);
    }

    /// <summary>The first <paramref name="count"/> validation images as gray PNGs img00.png, img01.png, … in a new directory.</summary>
    internal static string WriteValidationPngs(TrainedTinyModel model, int count)
    {
        string dir = model.NewPath("");
        Directory.CreateDirectory(dir);
        var images = model.Data.Validation;
        for (int i = 0; i < count; i++)
        {
            var pixels = images.Image(i);
            using var bitmap = new SKBitmap(images.Width, images.Height);
            for (int y = 0; y < images.Height; y++)
                for (int x = 0; x < images.Width; x++)
                {
                    byte g = pixels[y * images.Width + x];
                    bitmap.SetPixel(x, y, new SKColor(g, g, g));
                }
            Encode(bitmap, Path.Combine(dir, $"img{i:D2}.png"));
        }
        return dir;
    }

    internal static ImageDataset FirstImages(TrainedTinyModel model, int count) =>
        model.Data.Validation.Subset(Enumerable.Range(0, count).ToList());

    private static float[,] Scores(PredictionModel loaded, ImageDataset images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = loaded.Network.call(TrainedTinyModel.Normalized(images, loaded.Normalization)).Logits;
        var result = new float[images.Count, logits.shape[1]];
        for (int i = 0; i < images.Count; i++)
            for (int j = 0; j < logits.shape[1]; j++)
                result[i, j] = logits[i, j].item<float>();
        return result;
    }

    private static string WriteSolid(string path, int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        Encode(bitmap, path);
        return path;
    }

    private static void Encode(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        var format = Path.GetExtension(path).ToLowerInvariant() == ".png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = image.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
