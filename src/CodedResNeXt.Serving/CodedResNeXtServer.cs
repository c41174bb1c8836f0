using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodedResNeXt.Serving;

/// <summary>
/// The standalone server `crx serve` runs: Kestrel on the given URLs (loopback unless told otherwise) with the request
/// limits of <see cref="ServingOptions"/>, the endpoints of <see cref="ServingEndpoints"/>, and the OpenAPI document at
/// /openapi/v1.json. Stopping (SIGTERM, Ctrl+C) lets the requests in flight finish.
/// </summary>
public static class CodedResNeXtServer
{
    /// <summary>The address the server listens on unless told otherwise: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    /// <summary>An app serving <paramref name="models"/> on <paramref name="urls"/>; run it with <c>RunAsync</c> (or start and stop it).</summary>
    /// <param name="models">the models; the app disposes them when it stops</param>
    /// <param name="urls">where to listen, e.g. "http://127.0.0.1:5000" (port 0: any free port; <see cref="Addresses"/> tells which)</param>
    /// <param name="logLevel">the least level logged to the console</param>
    public static WebApplication Create(ServedModels models, IReadOnlyList<string> urls, LogLevel logLevel = LogLevel.Warning)
    {
        var options = models.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            // A client that holds a connection without sending its request, or sends a body slower than 240 bytes a
            // second after 5 s, is disconnected (Kestrel's own rate limit); idle keep-alive connections close after 30 s.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.MaxConcurrentConnections = 10_000;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.RequestTimeout + TimeSpan.FromSeconds(5));
        // The OpenAPI document describes the JSON as the endpoints write it: snake_case.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddOpenApi();
        builder.Services.AddCodedResNeXt(models);
        var app = builder.Build();
        app.MapOpenApi();
        app.MapCodedResNeXt();
        return app;
    }

    /// <summary>The addresses a started app listens on (with the ports chosen for port 0).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
