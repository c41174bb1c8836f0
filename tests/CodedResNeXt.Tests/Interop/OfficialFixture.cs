using System.Text.Json;
using CodedResNeXt.Interop;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Interop;

/// <summary>
/// The authors' CIFAR-10 Coded ResNeXt-29 (their state_dict layout, Fixtures/official-cifar10/) and what their code
/// computes on its 20 images (expected.json: logits, normalized energies and early-decoder confidences per coded block).
/// The checkpoint imported from it is made once per test process.
/// </summary>
internal static class OfficialFixture
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", "official-cifar10");
    public static readonly string Weights = Path.Combine(Directory, "official-cifar10.safetensors");

    private static readonly Lazy<string> ImportedPath = new(() =>
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("crx-official-").FullName;
        string path = Path.Combine(dir, "official.ckpt");
        OfficialModelFile.Import(Weights, "cifar10", path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(dir, recursive: true);
        return path;
    });

    /// <summary>The fixture imported as a checkpoint (shared: do not modify it).</summary>
    public static string Imported => ImportedPath.Value;

    public static Expected Read()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json")));
        var root = doc.RootElement;
        float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var pre = root.GetProperty("preprocessing");
        var images = root.GetProperty("images").EnumerateArray().Select(i => new ExpectedImage(
            Path.Combine(Directory, i.GetProperty("file").GetString()!),
            Floats(i.GetProperty("logits")),
            i.GetProperty("normalized_energies").EnumerateArray().Select(Floats).ToArray(),
            i.GetProperty("early_decoder_confidences").EnumerateArray().Select(Floats).ToArray())).ToList();
        return new Expected(Floats(pre.GetProperty("mean")), Floats(pre.GetProperty("std")),
            root.GetProperty("coded_blocks").EnumerateArray().Select(b => b.GetString()!).ToList(), images);
    }

    public sealed record Expected(float[] Mean, float[] Std, IReadOnlyList<string> CodedBlocks, IReadOnlyList<ExpectedImage> Images);

    public sealed record ExpectedImage(string File, float[] Logits, float[][] Energies, float[][] Confidences);
}
