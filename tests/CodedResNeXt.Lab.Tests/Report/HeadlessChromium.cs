using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CodedResNeXt.Tests.Report;

/// <summary>
/// Headless Chromium driven over the DevTools protocol (one page, JSON messages on a WebSocket), enough to load a
/// local HTML file, ask the page how its images loaded, collect console errors and take a screenshot. Every wait
/// is bounded; disposing kills the browser's whole process tree and deletes its profile.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Binary = "/usr/bin/chromium";
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    readonly Process _process;
    readonly string _profile;
    readonly StringBuilder _stderr = new();
    readonly ClientWebSocket _socket = new();
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    readonly ConcurrentQueue<JsonNode> _events = new();
    readonly SemaphoreSlim _eventArrived = new(0);
    Task? _receiveLoop;
    int _nextId;

    HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts the browser; fails with a message naming ./setup.sh --tests when Chromium is not installed.</summary>
    public static async Task<HeadlessChromium> StartAsync()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: the report test needs headless Chromium; run ./setup.sh --tests (it installs the Debian package chromium)");
        string profile = Path.Combine(Path.GetTempPath(), "crx-chromium-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
                     "--hide-scrollbars", "--window-size=1280,900", $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank" })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
        var browser = new HeadlessChromium(process, profile);
        process.ErrorDataReceived += (_, e) => { lock (browser._stderr) browser._stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await browser.ConnectAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    async Task ConnectAsync()
    {
        // Chromium writes the port it chose (first line) to DevToolsActivePort in the profile once it listens.
        string portFile = Path.Combine(_profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow + Timeout;
        string? port = null;
        while (port is null)
        {
            if (_process.HasExited) throw new InvalidOperationException($"chromium exited with code {_process.ExitCode}: {StandardError}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"chromium did not open its DevTools port within {Timeout.TotalSeconds} s: {StandardError}");
            if (File.Exists(portFile))
            {
                var lines = await File.ReadAllLinesAsync(portFile);
                if (lines.Length > 0 && int.TryParse(lines[0], out _)) port = lines[0];
            }
            if (port is null) await Task.Delay(50);
        }

        using var http = new HttpClient { Timeout = Timeout };
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
        string url = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>()
                     ?? throw new InvalidOperationException($"chromium lists no page target: {targets.ToJsonString()}");
        using var connect = new CancellationTokenSource(Timeout);
        await _socket.ConnectAsync(new Uri(url), connect.Token);
        _receiveLoop = Task.Run(ReceiveLoop);
        await SendAsync("Runtime.enable");
        await SendAsync("Log.enable");
        await SendAsync("Page.enable");
    }

    string StandardError
    {
        get { lock (_stderr) return _stderr.ToString().Trim(); }
    }

    /// <summary>Sends one command and waits for its result; a protocol error becomes an exception.</summary>
    public async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        using var send = new CancellationTokenSource(Timeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, send.Token);
        var answer = await reply.Task.WaitAsync(Timeout);
        if (answer["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
        return answer["result"]!;
    }

    async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var reply)) reply.TrySetResult(node);
                else if (node["method"] is not null)
                {
                    _events.Enqueue(node);
                    _eventArrived.Release();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        finally
        {
            foreach (var reply in _pending.Values) reply.TrySetException(new InvalidOperationException("the DevTools connection closed"));
        }
    }

    /// <summary>Every protocol event received so far.</summary>
    public IReadOnlyList<JsonNode> Events => _events.ToArray();

    /// <summary>Opens <paramref name="file"/> and waits for its load event (all images decoded or failed).</summary>
    public async Task LoadAsync(string file)
    {
        int seen = _events.Count;
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(file)).AbsoluteUri });
        if (result["errorText"] is { } error) throw new InvalidOperationException($"navigating to {file} failed: {error}");
        var deadline = DateTime.UtcNow + Timeout;
        while (!_events.Skip(seen).Any(e => (string?)e["method"] == "Page.loadEventFired"))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{file} did not finish loading within {Timeout.TotalSeconds} s");
            await _eventArrived.WaitAsync(left);
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } failed) throw new InvalidOperationException($"evaluating {expression} threw: {failed.ToJsonString()}");
        return result["result"]?["value"];
    }

    /// <summary>Errors the page reported: uncaught exceptions, console.error calls, and log entries of level error (failed loads).</summary>
    public IReadOnlyList<string> Errors => Events.Where(e => (string?)e["method"] switch
    {
        "Runtime.exceptionThrown" => true,
        "Runtime.consoleAPICalled" => (string?)e["params"]?["type"] == "error",
        "Log.entryAdded" => (string?)e["params"]?["entry"]?["level"] == "error",
        _ => false,
    }).Select(e => e.ToJsonString()).ToList();

    /// <summary>A PNG of the whole page (not just the window) at <paramref name="width"/> CSS pixels wide.</summary>
    public async Task<byte[]> ScreenshotAsync(int width)
    {
        // Lay the page out at the requested width first, then grow the viewport to the content's height.
        await SetViewportAsync(width, 900);
        var metrics = await SendAsync("Page.getLayoutMetrics");
        int height = (int)Math.Ceiling(metrics["cssContentSize"]!["height"]!.GetValue<double>());
        await SetViewportAsync(width, height);
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        await SendAsync("Emulation.clearDeviceMetricsOverride");
        return Convert.FromBase64String(shot["data"]!.GetValue<string>());
    }

    Task<JsonNode> SetViewportAsync(int width, int height) => SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
    {
        ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false,
    });

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            using var exit = new CancellationTokenSource(Timeout);
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        if (_receiveLoop is not null) await Task.WhenAny(_receiveLoop, Task.Delay(Timeout));
        _socket.Dispose();
        _process.Dispose();
        // Chromium may still be flushing its profile for a moment after the kill.
        for (int attempt = 0; attempt < 5 && Directory.Exists(_profile); attempt++)
        {
            try { Directory.Delete(_profile, recursive: true); }
            catch (IOException) { await Task.Delay(100); }
        }
    }
}
