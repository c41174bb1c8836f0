using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace CodedResNeXt.Benchmarks;

/// <summary>
/// A load client for `crx serve` (loopback only): for each concurrency, that many clients post one image to
/// /v1/models/{model}/predict back to back for a fixed time; prints throughput and p50/p99 latency. With --idle N it
/// holds N idle connections during the run; with --hostile it adds clients sending bodies over the limit, non-images
/// and image bombs (their answers are counted by status); with --server-pid it samples the server's resident memory.
/// <c>dotnet run -c Release --project bench/CodedResNeXt.Benchmarks -- serve-load --url http://127.0.0.1:5000 --model NAME --image FILE [--concurrency 1,8,32] [--seconds 10]</c>
/// </summary>
internal static class ServeLoad
{
    public static void Run(string[] args)
    {
        string Arg(string name, string? fallback = null)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"serve-load: {name} is required");
        }
        var url = new Uri(Arg("--url").TrimEnd('/') + "/");
        if (!url.IsLoopback) throw new ArgumentException("serve-load: only loopback addresses are measured");
        string model = Arg("--model");
        byte[] image = File.ReadAllBytes(Arg("--image"));
        var concurrencies = Arg("--concurrency", "1,8,32").Split(',').Select(int.Parse).ToList();
        double seconds = double.Parse(Arg("--seconds", "10"), CultureInfo.InvariantCulture);
        int idle = int.Parse(Arg("--idle", "0"));
        bool hostile = args.Contains("--hostile");
        int? pid = args.Contains("--server-pid") ? int.Parse(Arg("--server-pid")) : null;

        var connections = new List<TcpClient>();
        for (int i = 0; i < idle; i++)
        {
            var c = new TcpClient();
            c.Connect(url.Host, url.Port);
            connections.Add(c);
        }
        Console.WriteLine($"{model} at {url}: {image.Length} B image, {seconds:0.#} s per row{(idle > 0 ? $", {idle} idle connections" : "")}{(hostile ? ", with hostile clients" : "")}");
        Console.WriteLine("clients  requests  req/s     p50 ms   p99 ms   answers                         peak RSS");
        foreach (int clients in concurrencies)
        {
            var row = Measure(url, model, image, clients, TimeSpan.FromSeconds(seconds), hostile, pid).GetAwaiter().GetResult();
            Console.WriteLine(row);
        }
        foreach (var c in connections) c.Dispose();
    }

    private static async Task<string> Measure(Uri url, string model, byte[] image, int clients, TimeSpan duration, bool hostile, int? pid)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 8, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new List<double>();
        var answers = new Dictionary<string, int>();
        void Count(string what)
        {
            lock (answers) answers[what] = answers.GetValueOrDefault(what) + 1;
        }
        // Warm-up: the first request of a model pays for its first forward pass.
        (await http.PostAsync($"v1/models/{model}/predict", Body(image))).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        async Task Good()
        {
            while (clock.Elapsed < duration)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    var answer = await http.PostAsync($"v1/models/{model}/predict", Body(image));
                    await answer.Content.ReadAsByteArrayAsync();
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    Count($"good {(int)answer.StatusCode}");
                    if (answer.IsSuccessStatusCode) lock (latencies) latencies.Add(ms);
                }
                catch (HttpRequestException) { Count("good failed"); }
            }
        }
        async Task Bad(string kind, byte[] body)
        {
            while (clock.Elapsed < duration)
            {
                try { Count($"{kind} {(int)(await http.PostAsync($"v1/models/{model}/predict", Body(body))).StatusCode}"); }
                catch (HttpRequestException) { Count($"{kind} failed"); }
            }
        }
        var tasks = Enumerable.Range(0, clients).Select(_ => Good()).ToList();
        if (hostile)
        {
            // Over the limit by less than the server drains (1 MiB): answered 413. Far over it: the server answers 413 and
            // closes the connection at once, which a client still sending sees as a failed request.
            tasks.Add(Bad("large", new byte[(16 << 20) + (512 << 10)]));
            tasks.Add(Bad("huge", new byte[64 << 20]));
            tasks.Add(Bad("text", Encoding.UTF8.GetBytes("not an image")));
            tasks.Add(Bad("bomb", DeclaredPng(23000)));
        }
        long peak = 0;
        var sampler = Task.Run(async () =>
        {
            while (clock.Elapsed < duration && pid is { } id)
            {
                peak = Math.Max(peak, ResidentBytes(id));
                await Task.Delay(200);
            }
        });
        await Task.WhenAll(tasks);
        await sampler;
        double elapsed = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        string counted = string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key} x{a.Value}"));
        return $"{clients,7}  {latencies.Count,8}  {latencies.Count / elapsed,8:F1}  {P(0.5),7:F1}  {P(0.99),7:F1}  {counted,-30}  {(pid is null ? "-" : $"{peak >> 20} MiB")}";
    }

    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    private static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:"));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { return 0; }
    }

    // A PNG header declaring side x side pixels, with one row of data: a decompression bomb.
    private static byte[] DeclaredPng(int side)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), side);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(png, "IHDR", ihdr);
        var rows = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(rows, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[1 + 3 * side]);
        Chunk(png, "IDAT", rows.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(typed));
        png.Write(crc);
    }

}
