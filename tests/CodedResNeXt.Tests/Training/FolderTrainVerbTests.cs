using CodedResNeXt.ModelFiles;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Training;

/// <summary>`crx train --dataset folder` end to end on a tiny folder of 32x32 images.</summary>
public sealed class FolderTrainVerbTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string[] Train(string data, string run, params string[] more) =>
    [
        "train", "--dataset", "folder", "--data-dir", data, "--image-size", "32", "--arch", ImageFolders.ArchitectureFile(_tmp.Path, 32),
        "--epochs", "2", "--batch", "10", "--threads", "1", "--workers", "2", "--out", run, .. more,
    ];

    [Fact]
    public void A_32px_folder_trains_at_32px_stops_at_max_steps_and_resumes()
    {
        string data = _tmp["data"], run = _tmp["run"];
        ImageFolders.Write(data, classes: 10, train: 2, val: 1, side: 32);

        var (code, output, error) = CrxProcess.Run(_tmp.Path, Train(data, run, "--max-steps", "3"));
        Assert.True(code == 0, error);
        Assert.Contains($"stopped after step 3 (--max-steps); {Path.Combine(run, "last.ckpt")} holds it", output);
        var info = Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt"));
        Assert.Equal((1, 1), (info.State.Epoch, info.State.StepInEpoch)); // 2 steps an epoch
        Assert.Equal(32, info.Options.Augmentation.ResizedCrop);
        Assert.Equal((32, 37), (info.Options.Folder!.Crop, info.Options.Folder.Resize));

        (code, output, error) = CrxProcess.Run(_tmp.Path, "train", "--dataset", "folder", "--data-dir", data, "--out", run, "--resume");
        Assert.True(code == 0, error);
        Assert.Contains("epoch 2/2", output);
        Assert.Equal(2, Checkpoint.ReadInfo(Path.Combine(run, "last.ckpt")).State.Epoch);

        // eval reads the folder of a folder-trained checkpoint (at the sizes in the checkpoint).
        (code, output, error) = CrxProcess.Run(_tmp.Path, "eval", "--checkpoint", Path.Combine(run, "last.ckpt"), "--data-dir", data, "--json");
        Assert.True(code == 0, error);
        Assert.Contains("\"count\": 10", output);

        // predict fits files the way evaluation does for this model: shorter side to 37, centre 32x32.
        using (var model = CodedResNeXt.Prediction.PredictionModel.Load(Path.Combine(run, "last.ckpt")))
            Assert.Equal(new CodedResNeXt.Data.FolderGeometry(32, 37), model.Folder);
        (code, output, error) = CrxProcess.Run(_tmp.Path, "predict", "--model", Path.Combine(run, "last.ckpt"), Path.Combine(data, "val", "class4"));
        Assert.True(code == 0, error);
        Assert.Contains("img000.png", output);
    }

    [Fact]
    public void A_truncated_image_stops_training_with_one_line_naming_it()
    {
        string data = _tmp["data"];
        ImageFolders.Write(data, classes: 10, train: 2, val: 1, side: 32, extension: ".jpg");
        string cut = Path.Combine(data, "train", "class7", "img001.jpg");
        ImageFolders.Truncate(cut);

        var (code, _, error) = CrxProcess.Run(_tmp.Path, Train(data, _tmp["run"]));
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: {cut}: cannot decode image (the file is truncated: its data ends before the image does)", error.Trim());
    }
}
