using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using CodedResNeXt.Serving;
using CodedResNeXt.Tests.BinaryClassifiers;
using CodedResNeXt.Tests.TestSupport;

namespace CodedResNeXt.Tests.Serving;

/// <summary>
/// A short load-and-faults run on loopback, bounded in count and time: while clients keep sending good requests, others
/// send bodies over the limit, non-images, image bombs, a body at one byte a second, and hold idle connections. Every
/// bad request gets a 4xx (or 503 when full), every good one is answered, and the server stays up.
/// </summary>
[Collection(TrainedTinyModelCollection.Name)]
public class FaultTests(TrainedTinyModel model)
{
    private const int IdleConnections = 200;

    [Fact]
    public async Task Under_load_and_hostile_requests_bad_ones_get_4xx_good_ones_are_answered_and_nothing_crashes()
    {
        string dir = PredictionTests.WriteValidationPngs(model, 4);
        var good = Enumerable.Range(0, 4).Select(i => File.ReadAllBytes(Path.Combine(dir, $"img{i:D2}.png"))).ToList();
        var options = new ServingOptions { MaxBodyBytes = 64 << 10, RequestTimeout = TimeSpan.FromSeconds(3), MaxConcurrentRequests = 32 };
        await using var server = await TinyServer.Start(model, options, all: false);
        long memoryBefore = Environment.WorkingSet;

        var idle = new List<TcpClient>();
        for (int i = 0; i < IdleConnections; i++)
        {
            var c = new TcpClient();
            await c.ConnectAsync(server.Address.Host, server.Address.Port);
            idle.Add(c);
        }

        var statuses = new ConcurrentBag<(string Kind, int Status)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        async Task Loop(string kind, Func<int, HttpContent> body)
        {
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
            for (int i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                try
                {
                    var answer = await client.PostAsync("v1/models/tiny/predict", body(i));
                    statuses.Add((kind, (int)answer.StatusCode));
                }
                catch (HttpRequestException)
                {
                    statuses.Add((kind, -1)); // the connection closed before an answer
                }
            }
        }
        static HttpContent Bytes(byte[] bytes, bool chunked = false)
        {
            HttpContent content = chunked ? new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            if (chunked) content.Headers.ContentLength = null;
            return content;
        }
        var bomb = HostileImages.DeclaredPng(23000);
        var loops = new List<Task>
        {
            Loop("good", i => Bytes(good[i % good.Count])),
            Loop("good", i => Bytes(good[(i + 1) % good.Count])),
            Loop("good", i => Bytes(good[(i + 2) % good.Count])),
            Loop("too large", _ => Bytes(new byte[100 << 10])),
            Loop("too large", _ => Bytes(new byte[100 << 10], chunked: true)),
            Loop("not an image", i => Bytes(Encoding.UTF8.GetBytes($"not an image {i}"))),
            Loop("bomb", _ => Bytes(bomb)),
        };
        var slow = SlowClient(server.Address);
        await Task.WhenAll(loops);
        string slowAnswer = await slow;

        var byKind = statuses.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Select(s => s.Status).ToList());
        foreach (var (kind, list) in byKind) Console.WriteLine($"{kind}: " + string.Join(", ", list.GroupBy(s => s).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.True(byKind["good"].Count >= 6, $"{byKind["good"].Count} good requests answered");
        Assert.All(byKind["good"], s => Assert.True(s is 200 or 503, $"a good request got {s}"));
        Assert.Contains(200, byKind["good"]);
        Assert.All(byKind["too large"], s => Assert.True(s is 413 or 503, $"a body over the limit got {s}"));
        Assert.All(byKind["not an image"], s => Assert.True(s is 400 or 503, $"a non-image got {s}"));
        Assert.All(byKind["bomb"], s => Assert.True(s is 400 or 503, $"an image bomb got {s}"));
        Assert.Contains(413, byKind["too large"]);
        // The client sending a byte a second is cut off: answered 408, or disconnected by Kestrel's data-rate limit.
        Assert.True(slowAnswer.StartsWith("HTTP/1.1 408") || slowAnswer == "", $"the slow client got: {slowAnswer}");

        // Still up, still answering, the idle connections still held.
        foreach (var c in idle) c.Dispose();
        var health = await server.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("v1/models/tiny/predict", Bytes(good[0]))).StatusCode);
        long grown = Environment.WorkingSet - memoryBefore;
        Assert.True(grown < 1L << 30, $"resident memory grew by {grown >> 20} MiB");
    }

    // Headers announcing 1000 bytes, then one byte a second; what the server answers (or "" when it closes the connection).
    private static async Task<string> SlowClient(Uri address)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var stream = client.GetStream();
        var head = Encoding.ASCII.GetBytes($"POST /v1/models/tiny/predict HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n");
        await stream.WriteAsync(head);
        var buffer = new byte[4096];
        var read = stream.ReadAsync(buffer).AsTask();
        for (int i = 0; i < 15 && !read.IsCompleted; i++)
        {
            try
            {
                await stream.WriteAsync(new byte[] { 0x89 });
            }
            catch (IOException) { break; }
            await Task.WhenAny(read, Task.Delay(1000));
        }
        if (!read.IsCompleted) Assert.Fail("the server kept a client sending a byte a second for 15 s");
        try { return Encoding.ASCII.GetString(buffer, 0, await read); }
        catch (IOException) { return ""; }
    }
}
