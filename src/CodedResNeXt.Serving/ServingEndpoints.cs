using System.Text.Json;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Report;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CodedResNeXt.Serving;

/// <summary>A served model as GET /v1/models describes it.</summary>
/// <param name="Name">the name in the URLs</param>
/// <param name="Source">the file it was loaded from</param>
/// <param name="Kind">"checkpoint" or "binary-classifier"</param>
/// <param name="Runtime">"torchsharp" or "onnxruntime"</param>
/// <param name="Architecture">the architecture's name</param>
/// <param name="ClassNames">all K class names</param>
/// <param name="OutputClasses">the classes the model outputs (all K for a checkpoint, the kept ones for a classifier)</param>
/// <param name="InputChannels">channels of the input</param>
/// <param name="ImageSize">side of the square input</param>
/// <param name="EarlyExitTarget">the early-exit calibration's target predictions run with; null: the full network</param>
/// <param name="Saliency">whether explanations carry saliency maps (not for ONNX models)</param>
public sealed record ServedModelInfo(string Name, string Source, string Kind, string Runtime, string Architecture, IReadOnlyList<string> ClassNames,
    IReadOnlyList<int> OutputClasses, int InputChannels, int ImageSize, double? EarlyExitTarget, bool Saliency);

/// <summary>The answer of GET /v1/models.</summary>
/// <param name="Models">every served model, in the order they were added</param>
public sealed record ServedModelList(IReadOnlyList<ServedModelInfo> Models);

/// <summary>The answer of POST /v1/models/{name}/predict, shaped as `crx predict --json` prints (the model's name where it prints the path).</summary>
/// <param name="Model">the model's name</param>
/// <param name="Kind">"checkpoint" or "binary-classifier"</param>
/// <param name="Predictions">one per image, in request order</param>
public sealed record PredictionResponse(string Model, string Kind, IReadOnlyList<ImagePrediction> Predictions);

/// <summary>A served model's counters, in GET /healthz.</summary>
/// <param name="Name">the model's name</param>
/// <param name="Batches">forward passes run (a micro-batch is one)</param>
/// <param name="Images">images predicted or explained</param>
public sealed record ModelHealth(string Name, long Batches, long Images);

/// <summary>The answer of GET /healthz.</summary>
/// <param name="Status">"ok"</param>
/// <param name="InFlight">predict and explain requests being answered</param>
/// <param name="Models">each model's counters</param>
public sealed record HealthResponse(string Status, int InFlight, IReadOnlyList<ModelHealth> Models);

/// <summary>
/// The serving endpoints as an extension of an ASP.NET Core app: register the models with
/// <see cref="AddCodedResNeXt"/>, then map <see cref="MapCodedResNeXt"/>. GET /v1/models, POST /v1/models/{name}/predict,
/// POST /v1/models/{name}/explain, GET /healthz, and the explanation page at the prefix's root. JSON follows the model
/// files' conventions (snake_case, as `crx predict --json`).
/// </summary>
public static class ServingEndpoints
{
    /// <summary>Serves <paramref name="models"/> (the app's container disposes them when it stops).</summary>
    /// <param name="services">the app's services</param>
    /// <param name="models">the models, with their limits and batching</param>
    public static IServiceCollection AddCodedResNeXt(this IServiceCollection services, ServedModels models)
    {
        services.AddSingleton(_ => models); // made by a factory, so the container disposes it
        services.AddSingleton<RequestCounter>();
        return services;
    }

    /// <summary>Maps the endpoints under <paramref name="prefix"/> ("" by default: /v1/models, /healthz, and the page at /).</summary>
    /// <param name="app">the app's routes</param>
    /// <param name="prefix">a path all endpoints are mapped under, e.g. "/crx"</param>
    public static RouteGroupBuilder MapCodedResNeXt(this IEndpointRouteBuilder app, string prefix = "")
    {
        var group = app.MapGroup(prefix);
        group.MapGet("/", () => Results.Content(ExplanationPage.Live, "text/html; charset=utf-8"))
            .WithName("Page").WithSummary("The page: choose or drop an image and see its prediction, path, early exit, classifiers and saliency maps")
            .ExcludeFromDescription();
        group.MapGet("/healthz", (ServedModels models, RequestCounter counter) =>
                Json(new HealthResponse("ok", counter.InFlight, models.All.Select(m => new ModelHealth(m.Name, m.Worker.Batches, m.Worker.Images)).ToList())))
            .WithName("Health").WithSummary("Liveness, requests in flight and each model's counters").Produces<HealthResponse>();
        group.MapGet("/v1/models", (ServedModels models) => Json(new ServedModelList(models.All.Select(Describe).ToList())))
            .WithName("Models").WithSummary("Every served model's metadata").Produces<ServedModelList>();

        var work = group.MapGroup("/v1/models/{name}");
        work.AddEndpointFilter(async (context, next) =>
        {
            var counter = context.HttpContext.RequestServices.GetRequiredService<RequestCounter>();
            var models = context.HttpContext.RequestServices.GetRequiredService<ServedModels>();
            if (!counter.TryEnter(models.Options.MaxConcurrentRequests))
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return Problem(503, $"the server is answering {models.Options.MaxConcurrentRequests} requests, its limit; try again");
            }
            try { return await next(context); }
            finally { counter.Leave(); }
        });
        work.MapPost("/predict", Predict)
            .WithName("Predict").WithSummary("Predict one image (the body: PNG or JPEG) or several (multipart/form-data file parts)")
            .Accepts<byte[]>("image/png", "image/jpeg", "application/octet-stream", "multipart/form-data")
            .Produces<PredictionResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(408).ProducesProblem(413).ProducesProblem(503);
        work.MapPost("/explain", Explain)
            .WithName("Explain").WithSummary("Explain one image or several: per coded block the energies against the codewords, early exit, classifiers, saliency maps (?class=K: the saliency maps' class)")
            .Accepts<byte[]>("image/png", "image/jpeg", "application/octet-stream", "multipart/form-data")
            .Produces<ModelExplanations>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(408).ProducesProblem(413).ProducesProblem(503);
        return group;
    }

    private static ServedModelInfo Describe(ServedModel m) => new(m.Name, m.Source, m.Model.Meta.Kind, m.Model.IsOnnx ? "onnxruntime" : "torchsharp",
        m.Model.Architecture.Name, m.Model.ClassNames, m.Model.Meta.KeptClasses, m.Model.InputChannels, m.Model.ImageSize, m.EarlyExit?.Target, !m.Model.IsOnnx);

    private static async Task<IResult> Predict(string name, HttpContext context, ServedModels models)
    {
        return await Answer(name, context, models, async (served, images, cancel) =>
        {
            var (dataset, sources) = served.Model.LoadImages(images);
            var predictions = await served.Worker.Predict(dataset, sources, cancel);
            return new PredictionResponse(served.Name, served.Model.Meta.Kind, predictions);
        });
    }

    private static async Task<IResult> Explain(string name, HttpContext context, ServedModels models)
    {
        int? cls = null;
        if (context.Request.Query.TryGetValue("class", out var value))
        {
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k))
                return Problem(400, $"class: '{value}' is not a class index");
            cls = k;
        }
        return await Answer(name, context, models, async (served, images, cancel) =>
        {
            if (cls is { } k && !served.Model.Meta.KeptClasses.Contains(k))
                throw new RefusedRequestException(400, $"class: {k} is not among {served.Name}'s output classes");
            var (dataset, sources) = served.Model.LoadImages(images);
            var explanations = await served.Worker.Explain(dataset, sources, new ExplanationOptions { SaliencyClass = cls }, cancel);
            // Every other served classifier of the same classes and input answers too, each on its own thread.
            foreach (var other in models.All.Where(o => o != served && o.Model.IsClassifier && o.Model.InputChannels == served.Model.InputChannels
                                                        && o.Model.ImageSize == served.Model.ImageSize && o.Model.ClassNames.SequenceEqual(served.Model.ClassNames)))
            {
                var (otherImages, otherSources) = other.Model.LoadImages(images);
                var answers = await other.Worker.Predict(otherImages, otherSources, cancel);
                explanations = explanations.Select((x, i) => x with { Classifiers = [.. x.Classifiers, new ClassifierAnswer(other.Name, answers[i].Decisions!)] }).ToList();
            }
            return ModelExplanations.Of(served.Model, served.Name, explanations);
        });
    }

    private static async Task<IResult> Answer<T>(string name, HttpContext context, ServedModels models,
        Func<ServedModel, List<EncodedImage>, CancellationToken, Task<T>> answer)
    {
        if (models.Find(name) is not { } served) return Problem(404, $"no model is named '{name}' (GET /v1/models lists them)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(models.Options.RequestTimeout);
        bool uploaded = false;
        try
        {
            var images = await ImageUploads.Read(context.Request, models.Options, timeout.Token);
            uploaded = true;
            return Json(await answer(served, images, timeout.Token));
        }
        catch (RefusedRequestException e)
        {
            if (e.Status == StatusCodes.Status413PayloadTooLarge)
            {
                context.Response.Headers.Connection = "close";
                await ImageUploads.Drain(context.Request, models.Options.MaxBodyBytes, timeout.Token);
            }
            return Problem(e.Status, e.Message);
        }
        catch (InvalidInputException e) { return Problem(400, e.Message); }
        catch (ServerStoppingException e) { return Problem(503, e.Message); }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return uploaded
                ? Problem(503, $"the model did not answer within {models.Options.RequestTimeout.TotalSeconds:0.#} s; try again")
                : Problem(408, $"the request body did not arrive within {models.Options.RequestTimeout.TotalSeconds:0.#} s");
        }
    }

    private static IResult Json<T>(T value) => Results.Text(JsonSerializer.Serialize(value, CodedResNeXtModel.JsonOptions), "application/json; charset=utf-8");

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}

/// <summary>Predict and explain requests in flight, against the concurrency limit.</summary>
internal sealed class RequestCounter
{
    private int _inFlight;
    public int InFlight => Volatile.Read(ref _inFlight);

    public bool TryEnter(int limit)
    {
        if (Interlocked.Increment(ref _inFlight) <= limit) return true;
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}
