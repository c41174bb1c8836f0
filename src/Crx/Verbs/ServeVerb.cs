using System.CommandLine;
using CodedResNeXt;
using CodedResNeXt.Serving;
using Crx.Cli;
using Crx.Display;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Crx.Verbs;

/// <summary>
/// `crx serve`: serves checkpoints, classifiers and ONNX files over HTTP (<see cref="CodedResNeXtServer"/>): predict and
/// explain endpoints with micro-batching, model metadata, health, an OpenAPI document and the page at /.
/// </summary>
internal static class ServeVerb
{
    /// <summary>What a `serve` command line asks for, one field per flag.</summary>
    private sealed record Arguments(string[] Models, string Urls, double? EarlyExit, int MaxBatch, int MaxWaitMs, long MaxBodyBytes, int MaxImages,
        int MaxConcurrent, double Timeout, long MaxImagePixels, string Device);

    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "[NAME=]FILE: a checkpoint, an extracted classifier or a .onnx file, served as NAME (default: the file's name without extension); repeat for several", Required = true };
        var urls = new Option<string>("--urls") { Description = "Where to listen, ';' between several; loopback unless told otherwise", DefaultValueFactory = _ => CodedResNeXtServer.DefaultUrl };
        var earlyExit = new Option<double?>("--early-exit") { Description = "Checkpoints predict with early exit, with the margins stored in them for this target agreement (crx eval --early-exit TARGET --store-calibration)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "The most images one forward pass runs: concurrent requests are gathered up to this many (1: no micro-batching)", DefaultValueFactory = _ => 32 };
        var maxWait = new Option<int>("--max-wait-ms") { Description = "How long the first request of a batch waits for others, in milliseconds (0: only those already queued)", DefaultValueFactory = _ => 5 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "The largest request body; larger is answered 413", DefaultValueFactory = _ => 16L << 20 };
        var maxImages = new Option<int>("--max-images") { Description = "The most images one multipart request may carry", DefaultValueFactory = _ => 64 };
        var maxConcurrent = new Option<int>("--max-concurrent") { Description = "The most predict/explain requests in flight; one more is answered 503", DefaultValueFactory = _ => 64 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds a request may take, upload included (408 while uploading, 503 while queued)", DefaultValueFactory = _ => 30 };
        var maxPixels = ImageLimitOption.Create();
        var device = DeviceOption.Create();
        var command = new Command("serve",
            "Serve models over HTTP: GET /v1/models, POST /v1/models/{name}/predict and /explain (one PNG/JPEG body, or multipart), " +
            "GET /healthz, /openapi/v1.json, and the page at /. Concurrent requests are micro-batched. SIGTERM lets the requests in flight finish.")
        {
            models, urls, earlyExit, maxBatch, maxWait, maxBody, maxImages, maxConcurrent, timeout, maxPixels, device,
        };
        command.SetAction(p => Run(new Arguments(p.GetValue(models)!, p.GetValue(urls)!, p.GetValue(earlyExit), p.GetValue(maxBatch), p.GetValue(maxWait),
            p.GetValue(maxBody), p.GetValue(maxImages), p.GetValue(maxConcurrent), p.GetValue(timeout), p.GetValue(maxPixels), p.GetValue(device)!)));
        return command;
    }

    private static ServingOptions Options(Arguments a)
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidInputException(message);
        }
        Require(a.MaxBatch >= 1, $"--max-batch: {a.MaxBatch} must be at least 1");
        Require(a.MaxWaitMs is >= 0 and <= 10_000, $"--max-wait-ms: {a.MaxWaitMs} must be from 0 to 10000");
        Require(a.MaxBodyBytes >= 1, $"--max-body-bytes: {a.MaxBodyBytes} must be at least 1");
        Require(a.MaxImages >= 1, $"--max-images: {a.MaxImages} must be at least 1");
        Require(a.MaxConcurrent >= 1, $"--max-concurrent: {a.MaxConcurrent} must be at least 1");
        Require(a.Timeout is > 0 and <= 86_400, $"--timeout: {a.Timeout} must be more than 0 and at most 86400 seconds");
        Require(a.EarlyExit is null or (> 0 and <= 1), $"--early-exit: {a.EarlyExit} is not in (0, 1]");
        return new ServingOptions
        {
            MaxBatch = a.MaxBatch, MaxWait = TimeSpan.FromMilliseconds(a.MaxWaitMs), MaxBodyBytes = a.MaxBodyBytes, MaxImagesPerRequest = a.MaxImages,
            MaxConcurrentRequests = a.MaxConcurrent, RequestTimeout = TimeSpan.FromSeconds(a.Timeout), MaxImagePixels = ImageLimitOption.Checked(a.MaxImagePixels),
        };
    }

    private static int Run(Arguments a)
    {
        var options = Options(a);
        var urls = a.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string url in urls)
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http")
                throw new InvalidInputException($"--urls: '{url}' is not an http:// address (e.g. {CodedResNeXtServer.DefaultUrl})");
        var device = Crx.Cli.DeviceOption.Resolve(a.Device);
        var specs = a.Models.Select(ServedModels.ParseSpec).ToList();
        // Two models with one name are refused before any is loaded.
        foreach (var group in specs.GroupBy(s => s.Name).Where(g => g.Count() > 1))
            throw new InvalidInputException($"--model: two models are named '{group.Key}' ({string.Join(" and ", group.Select(s => s.Path))}); name one NAME=FILE");

        var models = new ServedModels(options);
        WebApplication app;
        try
        {
            foreach (var (name, path) in specs) models.Add(name, path, device, a.EarlyExit);
            app = CodedResNeXtServer.Create(models, urls);
        }
        catch
        {
            models.Dispose();
            throw;
        }
        using var interruption = new Interruption();
        try
        {
            try { app.StartAsync().GetAwaiter().GetResult(); }
            catch (IOException e)
            {
                throw new InvalidInputException($"--urls: cannot listen on {a.Urls} ({e.Message.Split('\n')[0].Trim()})");
            }
            foreach (var m in models.All)
                AnsiConsole.MarkupLine($"[bold]{DisplayText.Markup(m.Name)}[/]: {DisplayText.Markup(m.Model.Meta.Kind)} {DisplayText.Markup(m.Model.Architecture.Name)} " +
                                       $"from {DisplayText.Markup(m.Source)}{(m.EarlyExit is { } c ? $", early exit at target {c.Target}" : "")}");
            var addresses = CodedResNeXtServer.Addresses(app);
            AnsiConsole.MarkupLine($"serving {models.All.Count} model{(models.All.Count == 1 ? "" : "s")} on {DisplayText.Markup(string.Join(", ", addresses))} " +
                                   $"(batches of up to {options.MaxBatch} images, waiting {options.MaxWait.TotalMilliseconds:0.#} ms); the page is at /, Ctrl+C or SIGTERM stops");
            if (addresses.Any(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && !uri.IsLoopback))
                AnsiConsole.MarkupLine("[yellow]note[/]: listening beyond loopback: anyone who can reach this machine can use the models");
            app.WaitForShutdownAsync(interruption.Token).GetAwaiter().GetResult();
        }
        finally
        {
            // Finishes the requests in flight and the models' queues, then frees the models.
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        if (!interruption.Requested) return ExitCodes.Success;
        Console.Error.WriteLine($"crx: stopped by {Interruption.LastSignalName} after the requests in flight were answered");
        return Interruption.ExitCode;
    }
}
