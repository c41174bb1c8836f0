using CodedResNeXt.Evaluation;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CodedResNeXt.Prediction;
using CodedResNeXt.Serving;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace CodedResNeXt.Tests.Serving;

/// <summary>
/// The serving endpoints over a real Kestrel on loopback, against the library's own answers: predictions equal
/// <see cref="PredictionModel.Predict(IReadOnlyList{string}, int)"/>'s, explanations <see cref="PredictionModel.Explain(string, ExplanationOptions?)"/>'s,
/// every refused request a 4xx or 503 with one line saying why.
/// </summary>
[Collection(TrainedTinyModelCollection.Name)]
public class ServingTests(TrainedTinyModel model)
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public async Task Models_lists_each_served_model_with_its_kind_and_runtime()
    {
        await using var server = await TinyServer.Start(model);
        var list = Parse(await server.Client.GetStringAsync("v1/models")).GetProperty("models");
        Assert.Equal(["tiny", "trouser", "tiny-onnx"], list.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(["checkpoint", "binary-classifier", "checkpoint"], list.EnumerateArray().Select(m => m.GetProperty("kind").GetString()));
        Assert.Equal(["torchsharp", "torchsharp", "onnxruntime"], list.EnumerateArray().Select(m => m.GetProperty("runtime").GetString()));
        Assert.Equal([1], list[1].GetProperty("output_classes").EnumerateArray().Select(c => c.GetInt32()));
        Assert.False(list[2].GetProperty("saliency").GetBoolean());

        var health = Parse(await server.Client.GetStringAsync("healthz"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var openapi = Parse(await server.Client.GetStringAsync("openapi/v1.json"));
        foreach (var path in new[] { "/v1/models", "/v1/models/{name}/predict", "/v1/models/{name}/explain", "/healthz" })
            Assert.True(openapi.GetProperty("paths").TryGetProperty(path, out _), path);
        var page = await server.Client.GetStringAsync("");
        Assert.Contains("<title>Coded ResNeXt: explain an image</title>", page);
    }

    [Fact]
    public async Task Predict_answers_as_crx_predict_json_does_with_the_models_name_for_one_body_or_a_multipart_of_several()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 3);
        var files = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"img{i:D2}.png")).ToList();
        await using var server = await TinyServer.Start(model);

        var (code, cli, error) = CrxProcess.Run(dir, "predict", "--model", model.CheckpointPath, files[0], "--json");
        Assert.True(code == 0, error);
        var one = await server.Client.PostAsync("v1/models/tiny/predict", TinyServer.Png(files[0]));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var served = Parse(await one.Content.ReadAsStringAsync());
        var printed = Parse(cli);
        Assert.Equal("tiny", served.GetProperty("model").GetString());
        Assert.Equal(printed.EnumerateObject().Select(p => p.Name), served.EnumerateObject().Select(p => p.Name));
        var (p0, c0) = (served.GetProperty("predictions")[0], printed.GetProperty("predictions")[0]);
        Assert.Equal(c0.GetProperty("prediction").GetProperty("class").GetInt32(), p0.GetProperty("prediction").GetProperty("class").GetInt32());
        Assert.Equal(c0.GetProperty("logits").EnumerateArray().Select(l => l.GetDouble()), p0.GetProperty("logits").EnumerateArray().Select(l => l.GetDouble()));

        using var form = new MultipartFormDataContent();
        foreach (var f in files) form.Add(TinyServer.Png(f), "images", Path.GetFileName(f));
        var several = Parse(await (await server.Client.PostAsync("v1/models/trouser/predict", form)).Content.ReadAsStringAsync());
        using var classifier = PredictionModel.Load(TinyServer.ModelFiles(model).Classifier);
        var expected = classifier.Predict(files);
        var predictions = several.GetProperty("predictions");
        Assert.Equal(3, predictions.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Path.GetFileName(files[i]), predictions[i].GetProperty("image").GetProperty("file").GetString());
            var decision = predictions[i].GetProperty("decisions")[0];
            Assert.Equal(expected[i].Decisions![0].Yes, decision.GetProperty("yes").GetBoolean());
            Assert.Equal(expected[i].Decisions![0].Score, decision.GetProperty("score").GetDouble(), 1e-5);
        }
    }

    [Fact]
    public async Task Explain_answers_the_librarys_explanation_with_the_other_classifiers_and_no_saliency_for_onnx()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        string file = Path.Combine(dir, "img00.png");
        await using var server = await TinyServer.Start(model);
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var expected = loaded.Explain(file, new ExplanationOptions { SaliencyClass = 2 });

        var answer = await server.Client.PostAsync("v1/models/tiny/explain?class=2", TinyServer.Png(file));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var x = Parse(await answer.Content.ReadAsStringAsync()).GetProperty("explanations")[0];
        var blocks = x.GetProperty("blocks");
        Assert.Equal(expected.Blocks.Count, blocks.GetArrayLength());
        for (int b = 0; b < expected.Blocks.Count; b++)
            Assert.Equal(expected.Blocks[b].Energies, blocks[b].GetProperty("energies").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(2, x.GetProperty("saliency").GetProperty("class").GetInt32());
        Assert.Equal(expected.Saliency!.Path, x.GetProperty("saliency").GetProperty("path").EnumerateArray().Select(v => v.GetSingle()));
        var trouser = Assert.Single(x.GetProperty("classifiers").EnumerateArray());
        Assert.Equal("trouser", trouser.GetProperty("model").GetString());

        var onnx = Parse(await (await server.Client.PostAsync("v1/models/tiny-onnx/explain", TinyServer.Png(file))).Content.ReadAsStringAsync());
        var fromOnnx = onnx.GetProperty("explanations")[0];
        Assert.False(fromOnnx.TryGetProperty("saliency", out _));
        Assert.Contains("ONNX", fromOnnx.GetProperty("saliency_unavailable").GetString());
        Assert.Equal(expected.Blocks.Count, fromOnnx.GetProperty("blocks").GetArrayLength());
    }

    [Theory]
    [InlineData("nope", "image/png", "png", 404, "no model is named 'nope'")]
    [InlineData("tiny", "image/png", "text", 400, "body: cannot decode image (not a readable JPEG or PNG)")]
    [InlineData("tiny", "image/png", "empty", 400, "the request body is empty")]
    [InlineData("tiny", "image/png", "large", 413, "larger than the limit of 4096 bytes")]
    [InlineData("tiny", "image/png", "bomb", 400, "the image declares 23000x23000 = 529000000 pixels")]
    [InlineData("tiny", "text/plain", "png", 415, "")]
    public async Task A_bad_request_is_a_4xx_saying_why_and_the_server_answers_the_next(string name, string type, string body, int status, string detail)
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        string file = Path.Combine(dir, "img00.png");
        await using var server = await TinyServer.Start(model, new ServingOptions { MaxBodyBytes = 4096 }, all: false);
        byte[] bytes = body switch
        {
            "png" => File.ReadAllBytes(file),
            "text" => "hello"u8.ToArray(),
            "empty" => [],
            "large" => new byte[5000],
            _ => HostileImages.DeclaredPng(23000),
        };
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        var answer = await server.Client.PostAsync($"v1/models/{name}/predict", content);
        Assert.Equal(status, (int)answer.StatusCode);
        if (detail != "") Assert.Contains(detail, Parse(await answer.Content.ReadAsStringAsync()).GetProperty("detail").GetString());

        var good = await server.Client.PostAsync("v1/models/tiny/predict", TinyServer.Png(file));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task Concurrent_requests_are_micro_batched_into_fewer_passes_with_the_same_answers()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 8);
        var files = Enumerable.Range(0, 8).Select(i => Path.Combine(dir, $"img{i:D2}.png")).ToList();
        using var loaded = PredictionModel.Load(model.CheckpointPath);
        var expected = loaded.Predict(files);
        // A long wait, so that requests sent together are surely gathered, whatever the machine's load.
        await using var server = await TinyServer.Start(model, new ServingOptions { MaxBatch = 8, MaxWait = TimeSpan.FromSeconds(2) }, all: false);

        var answers = await Task.WhenAll(files.Select(f => server.Client.PostAsync("v1/models/tiny/predict", TinyServer.Png(f))));
        for (int i = 0; i < files.Count; i++)
        {
            var p = Parse(await answers[i].Content.ReadAsStringAsync()).GetProperty("predictions")[0];
            Assert.Equal(expected[i].Prediction!.Class, p.GetProperty("prediction").GetProperty("class").GetInt32());
            Assert.Equal(expected[i].Logits!.Select(v => (double)v), p.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()), new Close(1e-4));
        }
        var health = Parse(await server.Client.GetStringAsync("healthz")).GetProperty("models")[0];
        Assert.Equal(8, health.GetProperty("images").GetInt64());
        Assert.True(health.GetProperty("batches").GetInt64() < 8, $"{health.GetProperty("batches").GetInt64()} passes for 8 requests");
    }

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }

    [Fact]
    public async Task Requests_beyond_the_concurrency_limit_are_answered_503_at_once()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        await using var server = await TinyServer.Start(model, new ServingOptions { MaxConcurrentRequests = 1 }, all: false);
        // One request holds the only place: its body never finishes arriving.
        var stalled = new StalledContent();
        var holding = server.Client.PostAsync("v1/models/tiny/predict", stalled);
        await stalled.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        var refused = await server.Client.PostAsync("v1/models/tiny/predict", TinyServer.Png(Path.Combine(dir, "img00.png")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("its limit", Parse(await refused.Content.ReadAsStringAsync()).GetProperty("detail").GetString());
        stalled.Release.SetResult();
        await holding;
        var answered = await server.Client.PostAsync("v1/models/tiny/predict", TinyServer.Png(Path.Combine(dir, "img00.png")));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    /// <summary>A body that sends a few bytes, then waits until released.</summary>
    private sealed class StalledContent : HttpContent
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(new byte[] { 0x89, 0x50 });
            await stream.FlushAsync();
            Started.TrySetResult();
            await Release.Task;
        }
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task With_early_exit_a_checkpoint_predicts_with_its_stored_calibration_and_one_without_it_is_refused()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        string checkpoint = model.NewPath(".ckpt");
        File.Copy(model.CheckpointPath, checkpoint);
        using (var models = new ServedModels())
        {
            var e = Assert.Throws<InvalidInputException>(() => models.Add("tiny", checkpoint, earlyExitTarget: 0.5));
            Assert.Contains("holds no early-exit calibration for the target 0.5", e.Message);
        }
        IReadOnlyList<int> coded;
        using (var loaded = PredictionModel.Load(checkpoint)) coded = loaded.Architecture.CodedBlockIndices;
        CodedResNeXt.ModelFiles.StoredCalibrations.Store(checkpoint, new CodedResNeXt.Evaluation.EarlyExitCalibration(0.5, coded, [1e-9, .. coded.Skip(1).Select(_ => (double?)null)], 1));
        var served = new ServedModels();
        served.Add("tiny", checkpoint, earlyExitTarget: 0.5);
        var app = CodedResNeXtServer.Create(served, ["http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(CodedResNeXtServer.Addresses(app)[0] + "/") };
            var p = Parse(await (await client.PostAsync("v1/models/tiny/predict", TinyServer.Png(Path.Combine(dir, "img00.png")))).Content.ReadAsStringAsync())
                .GetProperty("predictions")[0];
            Assert.Equal(coded[0], p.GetProperty("exit").GetProperty("exit_block").GetInt32());
            Assert.Equal(0.5, Parse(await client.GetStringAsync("v1/models")).GetProperty("models")[0].GetProperty("early_exit_target").GetDouble());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void Two_models_with_one_name_are_refused_at_start_in_one_line()
    {
        using (var models = new ServedModels())
        {
            models.Add("tiny", model.CheckpointPath);
            var e = Assert.Throws<InvalidInputException>(() => models.Add("tiny", TinyServer.ModelFiles(model).Classifier));
            Assert.Equal($"two models are named 'tiny': {model.CheckpointPath} and {TinyServer.ModelFiles(model).Classifier} (name one NAME=FILE)", e.Message);
        }
        string copy = Path.Combine(Path.GetDirectoryName(model.NewPath(""))!, "twin");
        Directory.CreateDirectory(copy);
        string other = Path.Combine(copy, Path.GetFileName(model.CheckpointPath));
        File.Copy(model.CheckpointPath, other, overwrite: true);
        var (code, output, error) = CrxProcess.Run(copy, "serve", "--model", model.CheckpointPath, "--model", other, "--urls", "http://127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.Equal($"crx: error: --model: two models are named '{Path.GetFileNameWithoutExtension(other)}' ({model.CheckpointPath} and {other}); name one NAME=FILE",
            error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Crx_serve_answers_the_requests_in_flight_on_SIGTERM_and_exits_143()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        using var crx = new RunningCrx(dir, "serve", "--model", $"m={model.CheckpointPath}", "--urls", "http://127.0.0.1:0", "--max-wait-ms", "1500");
        crx.WaitFor((output, _) => output.Contains("serving 1 model on "), TimeSpan.FromSeconds(60), "the serving line");
        string url = System.Text.RegularExpressions.Regex.Match(crx.Output, @"http://127\.0\.0\.1:\d+").Value;
        using var client = new HttpClient { BaseAddress = new Uri(url + "/") };
        // In flight when the signal comes (the server counts it): it waits 1.5 s for a batch to fill.
        var inFlight = client.PostAsync("v1/models/m/predict", TinyServer.Png(Path.Combine(dir, "img00.png")));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Parse(await client.GetStringAsync("healthz")).GetProperty("in_flight").GetInt32() == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the request never reached the server");
            await Task.Delay(20);
        }
        crx.Signal(RunningCrx.SigTerm);
        Assert.Equal(143, crx.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
        Assert.Contains("stopped by SIGTERM", crx.Error);
    }
}

/// <summary>The endpoints mapped into an app of the user's own, under a prefix, without the standalone server.</summary>
[Collection(TrainedTinyModelCollection.Name)]
public class OwnAppTests(TrainedTinyModel model)
{
    [Fact]
    public async Task MapCodedResNeXt_serves_under_a_prefix_in_an_app_of_ones_own_and_the_app_disposes_the_models()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 1);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var models = new ServedModels(new ServingOptions { MaxBatch = 4 });
        var served = models.Add("fashion", model.CheckpointPath);
        builder.Services.AddCodedResNeXt(models);
        var app = builder.Build();
        app.MapGet("/", () => "the user's own root");
        app.MapCodedResNeXt("/crx");
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(CodedResNeXtServer.Addresses(app)[0] + "/") };
            Assert.Equal("the user's own root", await client.GetStringAsync(""));
            Assert.Contains("explain an image", await client.GetStringAsync("crx/"));
            var answer = await client.PostAsync("crx/v1/models/fashion/predict", TinyServer.Png(Path.Combine(dir, "img00.png")));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("fashion", Parse(await answer.Content.ReadAsStringAsync()).GetProperty("model").GetString());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Assert.Throws<ObjectDisposedException>(() => served.Model.Predict([Path.Combine(dir, "img00.png")]));
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;
}
