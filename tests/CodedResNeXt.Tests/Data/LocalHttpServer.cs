using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CodedResNeXt.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port) that answers every GET with one fixed body, so the
/// download code can be tested without the network. Counts the requests it served.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _body;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public LocalHttpServer(byte[] body)
    {
        _body = body;
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/data/");
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUrl { get; }
    public int Requests => Volatile.Read(ref _requests);
    public List<string> Paths { get; } = [];

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            using (client)
            {
                var stream = client.GetStream();
                var request = new StringBuilder();
                var buffer = new byte[4096];
                while (!request.ToString().Contains("\r\n\r\n"))
                {
                    int n = await stream.ReadAsync(buffer);
                    if (n == 0) break;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                lock (Paths) Paths.Add(request.ToString().Split(' ')[1]);
                Interlocked.Increment(ref _requests);
                var head = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {_body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head);
                await stream.WriteAsync(_body);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
