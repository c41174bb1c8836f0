using CodedResNeXt.Evaluation;
using CodedResNeXt.ModelFiles;
using System.Text.Json;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Decoding;

[Collection(TrainedTinyModelCollection.Name)]
public class EarlyExitTests(TrainedTinyModel model)
{
    private BatchLoader Loader(CodedResNeXtNetwork network, bool training) =>
        BatchLoader.ForEvaluation(training ? model.Data.Train : model.Data.Validation, model.Data.Normalization, 64);

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.99)]
    [InlineData(1.0)]
    public void Calibrated_exits_reach_the_target_agreement_on_the_calibration_set(double target)
    {
        var (network, _) = Checkpoint.Load(model.CheckpointPath);
        using var _n = network;
        var calibration = EarlyExit.Calibrate(network, Loader(network, training: true), target);
        Assert.Equal(model.Data.Train.Count, calibration.CalibrationImages);
        Assert.Equal(3, calibration.Thresholds.Count);

        var result = EarlyExit.Evaluate(network, Loader(network, training: true), calibration);
        Assert.True(result.Agreement >= target, $"agreement {result.Agreement} below the target {target}");
        // A sample that leaves skips blocks: the mean cost is the exits' costs plus the whole network for the rest.
        Assert.Equal(1 - result.ExitFractions.Sum() + ExitCostShare(network, calibration, result), result.ComputeFraction, 6);
    }

    // The mean cost fraction from the exit fractions: leaving after coded block b costs ComputeCost.Through(b).
    private static double ExitCostShare(CodedResNeXtNetwork network, EarlyExitCalibration calibration, EarlyExitResult result)
    {
        var cost = ComputeCost.Of(network.Architecture);
        return calibration.CodedBlockIndices.Select((block, b) => result.ExitFractions[b] * cost.Through(block) / cost.Total).Sum();
    }

    [Fact]
    public void Samples_that_do_not_exit_get_the_full_networks_prediction_and_exits_the_nearest_codeword()
    {
        var (network, _) = Checkpoint.Load(model.CheckpointPath);
        using var _n = network;
        using var images = TrainedTinyModel.Normalized(model.Data.Validation, model.Data.Normalization);
        network.eval();
        NetworkOutput output;
        using (no_grad()) output = network.call(images);
        // A threshold at the median margin of the last coded block: about half the images leave there, half run on.
        var (lastMargins, _) = EarlyExit.Decode(output.BlockEnergies[2], network.CodedBlocks[2]);
        double median = lastMargins.median().item<float>();
        var calibration = new EarlyExitCalibration(0.5, network.CodedBlocks.Select(c => c.BlockIndex).ToList(), [null, null, median], 0);
        var early = EarlyExit.Predict(network, images, calibration);
        long[] full;
        full = output.Logits.argmax(1).data<long>().ToArray();
        var codedIndex = calibration.CodedBlockIndices.ToList();
        var cost = ComputeCost.Of(network.Architecture);
        int exited = 0;
        for (int i = 0; i < full.Length; i++)
        {
            if (early.ExitBlock[i] < 0)
            {
                Assert.Equal(full[i], early.Predicted[i]);
                Assert.Equal(cost.Total, early.Cost[i]);
                continue;
            }
            exited++;
            int b = codedIndex.IndexOf(early.ExitBlock[i]);
            using var energies = output.BlockEnergies[b].narrow(0, i, 1);
            var (margin, cls) = EarlyExit.Decode(energies, network.CodedBlocks[b]);
            Assert.Equal(cls.item<long>(), early.Predicted[i]); // all ten classes are outputs: class index = output index
            Assert.True(margin.item<float>() >= calibration.Thresholds[b]!.Value - 1e-5, $"sample {i} left below its block's threshold");
            Assert.Equal(cost.Through(early.ExitBlock[i]), early.Cost[i]);
            margin.Dispose();
            cls.Dispose();
        }
        Assert.InRange(exited, 1, full.Length - 1);
    }

    [Fact]
    public void Without_thresholds_every_sample_runs_the_whole_network()
    {
        var (network, _) = Checkpoint.Load(model.CheckpointPath);
        using var _n = network;
        var none = new EarlyExitCalibration(1, network.CodedBlocks.Select(c => c.BlockIndex).ToList(), [null, null, null], 0);
        using var images = TrainedTinyModel.Normalized(model.Data.Validation, model.Data.Normalization);
        var early = EarlyExit.Predict(network, images, none);
        network.eval();
        using (no_grad())
            Assert.Equal(network.call(images).Logits.argmax(1).data<long>().ToArray(), early.Predicted);
        Assert.All(early.ExitBlock, b => Assert.Equal(-1, b));
    }

    [Fact]
    public void Early_exit_when_faster_measures_on_the_first_batch_and_runs_the_full_network_when_exiting_does_not_pay()
    {
        var files = Prediction.InputImages.Find(PredictionTests.WriteValidationPngs(model, 24));
        using var loaded = Prediction.PredictionModel.Load(model.CheckpointPath);
        var calibration = EarlyExit.Calibrate(loaded.Network, Loader(loaded.Network, training: true), 0.9);
        var always = loaded.PredictEarlyExit(files, calibration, 16, onlyWhenFaster: false);
        Assert.Null(loaded.LastEarlyExitSpeed);
        var full = loaded.Predict(files, 16);

        var guarded = loaded.PredictEarlyExit(files, calibration, 16);

        var speed = Assert.IsType<EarlyExitSpeed>(loaded.LastEarlyExitSpeed);
        Assert.Equal(16, speed.Batch); // measured on the first batch
        Assert.True(speed.EarlyExitImagesPerSecond > 0 && speed.FullImagesPerSecond > 0);
        Assert.Equal(speed.SpeedUp > 1, speed.Pays);
        var expected = speed.Pays ? always : full;
        Assert.Equal(expected.Select(p => p.Prediction!.Class), guarded.Select(p => p.Prediction!.Class));
        if (!speed.Pays) Assert.All(guarded, p => Assert.Equal(new Prediction.EarlyExitDecision(null, 1.0), p.Exit));
        else Assert.Equal(always.Select(p => p.Exit), guarded.Select(p => p.Exit));
    }

    [Fact]
    public void Eval_with_early_exit_reports_agreement_accuracy_and_the_fraction_of_the_network_computed()
    {
        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", model.CheckpointPath, "--data-dir", model.DataDir,
            "--early-exit", "0.95", "--calibration-images", "150", "--json");
        Assert.True(code == 0, error);
        var exit = JsonDocument.Parse(output).RootElement.GetProperty("early_exit");
        Assert.Equal(150, exit.GetProperty("calibration").GetProperty("calibration_images").GetInt32());
        Assert.Equal(0.95, exit.GetProperty("calibration").GetProperty("target").GetDouble());
        double agreement = exit.GetProperty("agreement").GetDouble(), flops = exit.GetProperty("flops_fraction").GetDouble();
        Assert.InRange(agreement, 0, 1);
        Assert.InRange(flops, 0, 1);
        Assert.Equal(model.Data.Validation.Count, exit.GetProperty("images").GetInt32());
        Assert.Equal(3, exit.GetProperty("exit_fractions").GetArrayLength());

        var (bad, _, badError) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", model.CheckpointPath, "--data-dir", model.DataDir, "--early-exit", "1.5");
        Assert.Equal(2, bad);
        Assert.Equal("crx: error: --early-exit: 1.5 is not an agreement in (0, 1]", badError.Trim());
    }

    [Fact]
    public void A_calibration_stored_by_eval_drives_predict_and_each_early_answer_is_that_block_decoders_class()
    {
        string checkpoint = model.NewPath(".ckpt");
        File.Copy(model.CheckpointPath, checkpoint);
        byte[] Weights(string path)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            using var stream = zip.GetEntry("model.safetensors")!.Open();
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        byte[] before = Weights(checkpoint);

        var (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "eval", "--checkpoint", checkpoint, "--data-dir", model.DataDir,
            "--early-exit", "0.9", "--calibration-images", "150", "--store-calibration", "--json");
        Assert.True(code == 0, error);
        var reported = JsonDocument.Parse(output).RootElement.GetProperty("early_exit").GetProperty("calibration");
        var stored = StoredCalibrations.StoredFor(ModelFiles.ModelFile.ReadMetadata(checkpoint), checkpoint, 0.9);
        Assert.Equal(reported.GetProperty("thresholds").EnumerateArray().Select(t => t.ValueKind == JsonValueKind.Null ? (double?)null : t.GetDouble()), stored.Thresholds);
        Assert.Equal(before, Weights(checkpoint));
        Assert.Equal(model.Data.Train.Count > 0, Checkpoint.CanResume(checkpoint)); // still a whole checkpoint

        string dir = BinaryClassifiers.PredictionTests.WriteValidationPngs(model, 12);
        (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", checkpoint, dir, "--json");
        Assert.True(code == 0, error);
        var full = JsonDocument.Parse(output).RootElement.GetProperty("predictions").EnumerateArray().ToList();
        (code, output, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", checkpoint, dir, "--early-exit", "0.9", "--json");
        Assert.True(code == 0, error);
        var early = JsonDocument.Parse(output).RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(full.Count, early.Count);
        for (int i = 0; i < full.Count; i++)
        {
            var exit = early[i].GetProperty("exit");
            int predicted = early[i].GetProperty("prediction").GetProperty("class").GetInt32();
            double fraction = exit.GetProperty("compute_fraction").GetDouble();
            if (!exit.TryGetProperty("exit_block", out var left) || left.ValueKind == JsonValueKind.Null)
            {
                Assert.Equal(full[i].GetProperty("prediction").GetProperty("class").GetInt32(), predicted);
                Assert.Equal(1.0, fraction, 12);
            }
            else
            {
                int block = exit.GetProperty("exit_block").GetInt32();
                var decoder = full[i].GetProperty("early_decoders").EnumerateArray().Single(d => d.GetProperty("block_index").GetInt32() == block);
                Assert.Equal(decoder.GetProperty("class").GetInt32(), predicted);
                Assert.InRange(fraction, 0.0, 0.999);
            }
        }

        (code, _, error) = CrxProcess.Run(Path.GetTempPath(), "predict", "--model", checkpoint, dir, "--early-exit", "0.99");
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {checkpoint}: holds no early-exit calibration for the target 0.99 (it holds 0.9)", error.Trim());
    }
}
