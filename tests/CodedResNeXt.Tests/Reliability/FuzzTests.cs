using CodedResNeXt.ModelFiles;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.Tests.Data;
using CodedResNeXt.Tests.TestSupport;
using CodedResNeXt.Training;

namespace CodedResNeXt.Tests.Reliability;

/// <summary>
/// Damaged input files, read in-process by the library's readers: each read either succeeds or throws
/// <see cref="InvalidInputException"/> (which the CLI prints as one line), never another exception, within
/// <see cref="CaseTimeout"/> and with the process's peak memory rising by at most <see cref="CaseMemory"/> (the readers
/// do work linear in their input: a small file that would need more is refused before the work). Fixed seed and a
/// fixed number of mutations per format (truncation, bit flips, overwritten length fields, and in text formats numbers
/// replaced by extreme ones), so a failure reproduces. An ONNX file is loaded and run on an image.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FuzzTests(ReliabilityRun fixture)
{
    private const int Seed = 20261124;
    private const int MutationsPerFormat = 100;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);
    /// <summary>Every file here is under 1 MB; what reading one may take beyond that is the reader's constant times its size.</summary>
    private const long CaseMemory = 512L << 20;

    [Fact]
    public void Damaged_files_are_read_or_refused_with_InvalidInputException()
    {
        using var tmp = new TempDirectory();
        var failures = new List<string>();
        var random = new Random(Seed);

        // Valid originals of every format.
        string idxImages = tmp["images-idx3-ubyte"], idxLabels = tmp["labels-idx1-ubyte"], idxGz = tmp["images-idx3-ubyte.gz"];
        DataFixtures.WriteIdxImages(idxImages, 6, 4, 4, gzip: false);
        DataFixtures.WriteIdxLabels(idxLabels, [0, 1, 2, 3, 4, 5], gzip: false);
        DataFixtures.WriteIdxImages(idxGz, 6, 4, 4, gzip: true);
        string cifar = tmp["cifar"];
        DataFixtures.WriteCifar10(cifar);
        string safetensors = tmp["model.safetensors"];
        using (var network = new CodedResNeXtNetwork(Synthetic.Architecture(), CodingSchemeSet.BuiltInsAndFiles)) SafeTensors.Save(network, safetensors);
        // A torch.save zip of a state_dict (PyBridge's pickler writes the format Lightning checkpoints use).
        string torchZip = tmp["state_dict.pt"];
        using (var network = new CodedResNeXtNetwork(Synthetic.Architecture(), CodingSchemeSet.BuiltInsAndFiles))
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(torchZip, new System.Collections.Hashtable(network.state_dict()));
        string scheme = tmp["scheme.json"];
        CodingSchemeFile.Save(BuiltInSchemes.Get("cifar10/5/10"), scheme);
        string architecture = Synthetic.ArchitectureFile(tmp.Path);
        string checkpoint = fixture.Checkpoint;
        string png = tmp["image.png"], jpeg = tmp["image.jpg"];
        using (var bitmap = new SkiaSharp.SKBitmap(16, 16))
        {
            bitmap.Erase(new SkiaSharp.SKColor(10, 200, 30));
            ImageFolders.Save(bitmap, png);
            ImageFolders.Save(bitmap, jpeg);
        }
        string metrics = Path.Combine(fixture.RunDir, "metrics.jsonl");
        string onnx = tmp["model.onnx"];
        CodedResNeXt.Interop.Onnx.OnnxModelExport.ExportFile(checkpoint, onnx);

        var formats = new (string Name, string Original, bool Text, Action<string> Read)[]
        {
            ("idx images", idxImages, false, f => IdxFormat.ReadImages(f)),
            ("idx labels", idxLabels, false, f => IdxFormat.ReadLabels(f, 10)),
            ("idx images gzip", idxGz, false, f => IdxFormat.ReadImages(f)),
            ("cifar10 batch", Path.Combine(cifar, "data_batch_1.bin"), false, f => CifarFormat.LoadCifar10(Swap(cifar, "data_batch_1.bin", f, tmp))),
            ("cifar10 names", Path.Combine(cifar, "batches.meta.txt"), true, f => CifarFormat.LoadCifar10(Swap(cifar, "batches.meta.txt", f, tmp))),
            ("safetensors", safetensors, false, f => { using var n = new CodedResNeXtNetwork(Synthetic.Architecture(), CodingSchemeSet.BuiltInsAndFiles); SafeTensors.LoadInto(n, f); }),
            ("torch zip", torchZip, false, ReadTorch),
            ("torch zip model/data.pkl", torchZip, false, ReadTorch),
            ("coding scheme", scheme, true, f => CodingSchemeFile.Load(f)),
            ("architecture", architecture, true, f => ArchitectureFile.Load(f, CodingSchemeSet.BuiltInsAndFiles)),
            ("checkpoint zip", checkpoint, false, f => Checkpoint.Load(f).Network.Dispose()),
            ("checkpoint meta.json", checkpoint, true, f => Checkpoint.Load(f).Network.Dispose()),
            ("checkpoint model.safetensors", checkpoint, false, f => Checkpoint.Load(f).Network.Dispose()),
            ("checkpoint metrics.jsonl", checkpoint, true, f => Checkpoint.ReadLog(f)),
            ("png image", png, false, f => ImageDecoder.DecodeBitmap(f, 0, maxPixels: 1 << 20).Dispose()),
            ("jpeg image", jpeg, false, f => ImageDecoder.DecodeBitmap(f, 8, maxPixels: 1 << 20).Dispose()),
            ("metrics log", metrics, true, f => MetricsLog.Read(f)),
            ("onnx", onnx, false, PredictOnnx),
        };

        foreach (var (name, original, text, read) in formats)
        {
            string? entry = name.StartsWith("checkpoint ") && name != "checkpoint zip" ? name["checkpoint ".Length..]
                : name.StartsWith("torch zip ") ? name["torch zip ".Length..] : null;
            byte[] bytes = entry is null ? File.ReadAllBytes(original) : ZipEntries.Read(original, entry);
            for (int i = 0; i < MutationsPerFormat; i++)
            {
                var (mutated, how) = Mutate(bytes, text, random);
                string file = tmp[$"case-{name.Replace(' ', '-').Replace('/', '-')}-{i}{Path.GetExtension(original)}"];
                if (entry is null) File.WriteAllBytes(file, mutated);
                else ZipEntries.Replace(original, file, entry, mutated);

                var task = default(Task);
                bool answered = false;
                long memory = PeakMemory.Above(() =>
                {
                    task = Task.Run(() => read(file));
                    try { answered = task.Wait(CaseTimeout); }
                    catch (AggregateException) { answered = true; }
                });
                string outcome;
                try
                {
                    if (!answered) outcome = $"no answer within {CaseTimeout.TotalSeconds} s";
                    else if (memory > CaseMemory) outcome = $"the peak resident set rose by {memory >> 20} MiB";
                    else
                    {
                        task!.Wait();
                        continue;
                    }
                }
                catch (AggregateException e) when (e.InnerException is InvalidInputException bad)
                {
                    // One line, naming the file (the CIFAR reader names the copy of the folder it read).
                    string named = name.StartsWith("cifar") ? "cifar-" : Path.GetFileName(file);
                    if (!bad.Message.Contains('\n') && bad.Message.Contains(named)) continue;
                    outcome = $"not one line naming {named}: {bad.Message}";
                }
                catch (AggregateException e) { outcome = $"{e.InnerException!.GetType().Name}: {e.InnerException.Message.Split('\n')[0]}"; }
                failures.Add($"{name} #{i} ({how}): {outcome}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static void PredictOnnx(string file)
    {
        using var model = CodedResNeXt.Prediction.PredictionModel.Load(file);
        using var pixels = TorchSharp.torch.rand(1, 1, Synthetic.Side, Synthetic.Side);
        model.Predict(pixels);
    }

    private static void ReadTorch(string file)
    {
        foreach (var t in TorchCheckpoint.ReadStateDict(file).Values) t.Dispose();
    }

    /// <summary>A copy of the CIFAR folder with one file replaced by <paramref name="mutated"/>.</summary>
    private static string Swap(string cifar, string fileName, string mutated, TempDirectory tmp)
    {
        string copy = tmp[$"cifar-{Guid.NewGuid():N}"];
        Directory.CreateDirectory(copy);
        foreach (string f in Directory.GetFiles(cifar)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        File.Copy(mutated, Path.Combine(copy, fileName), overwrite: true);
        return copy;
    }

    private static readonly string[] ExtremeNumbers = ["0", "-1", "1e308", "2147483648", "-2147483649", "99999999999999999999", "0.5", "NaN"];

    private static (byte[] Bytes, string How) Mutate(byte[] original, bool text, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(text ? 4 : 3))
        {
            case 0:
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length} bytes");
            case 1:
                int flips = random.Next(1, 5);
                var at = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int bit = random.Next(bytes.Length * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    at.Add(bit);
                }
                return (bytes, $"bits {string.Join(",", at)} flipped");
            case 2:
                // Headers hold their lengths and counts in the first bytes: overwrite a 4-byte field there.
                int offset = random.Next(Math.Max(1, Math.Min(bytes.Length - 3, 64)));
                uint value = random.Next(4) switch { 0 => 0, 1 => uint.MaxValue, 2 => 0x7fffffff, _ => (uint)random.Next() };
                if (bytes.Length >= 4) BitConverter.GetBytes(value).CopyTo(bytes, offset);
                return (bytes, $"4 bytes at {offset} set to 0x{value:x8}");
            default:
                string json = Encoding.UTF8.GetString(bytes);
                var numbers = Regex.Matches(json, @"-?\d+(\.\d+)?");
                if (numbers.Count == 0) return (bytes, "unchanged (no number)");
                var n = numbers[random.Next(numbers.Count)];
                string extreme = ExtremeNumbers[random.Next(ExtremeNumbers.Length)];
                return (Encoding.UTF8.GetBytes(json[..n.Index] + extreme + json[(n.Index + n.Length)..]), $"number at {n.Index} set to {extreme}");
        }
    }
}
