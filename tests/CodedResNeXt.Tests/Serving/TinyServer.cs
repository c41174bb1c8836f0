using System.Net.Http.Headers;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Interop.Onnx;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Serving;
using CodedResNeXt.Tests.BinaryClassifiers;
using Microsoft.AspNetCore.Builder;

namespace CodedResNeXt.Tests.Serving;

/// <summary>
/// The trained tiny model served by a real Kestrel on a free loopback port, three ways: its checkpoint ("tiny"), the
/// binary classifier of class 1 ("trouser") and its ONNX export ("tiny-onnx").
/// </summary>
public sealed class TinyServer : IAsyncDisposable
{
    private static readonly Dictionary<string, (string Classifier, string Onnx)> Files = [];

    private TinyServer(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }

    /// <summary>The classifier's and the ONNX file's paths for <paramref name="model"/>, made once.</summary>
    public static (string Classifier, string Onnx) ModelFiles(TrainedTinyModel model)
    {
        lock (Files)
        {
            if (Files.TryGetValue(model.CheckpointPath, out var made)) return made;
            string crxb = model.NewPath(".crxb"), onnx = model.NewPath(".onnx");
            var (network, info) = Checkpoint.Load(model.CheckpointPath);
            using (network)
            using (var binary = BinaryClassifierExtraction.Extract(network, info.Model, model.CheckpointPath, [1], model.Data.Train))
                BinaryClassifierFile.Save(crxb, binary);
            OnnxModelExport.ExportFile(model.CheckpointPath, onnx);
            return Files[model.CheckpointPath] = (crxb, onnx);
        }
    }

    public static async Task<TinyServer> Start(TrainedTinyModel model, ServingOptions? options = null, bool all = true, string? checkpoint = null)
    {
        var (classifier, onnx) = ModelFiles(model);
        var models = new ServedModels(options);
        models.Add("tiny", checkpoint ?? model.CheckpointPath);
        if (all)
        {
            models.Add("trouser", classifier);
            models.Add("tiny-onnx", onnx);
        }
        var app = CodedResNeXtServer.Create(models, ["http://127.0.0.1:0"]);
        await app.StartAsync();
        return new TinyServer(app, new Uri(CodedResNeXtServer.Addresses(app)[0]));
    }

    public static ByteArrayContent Png(string file)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(file));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
