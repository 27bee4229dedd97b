using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace DrOrchestrator.Storage.Tests.Emulators;

/// <summary>What the proxy does to one response.</summary>
public enum ProxyFault
{
    /// <summary>Forward it unchanged.</summary>
    None,

    /// <summary>Flip one bit in the middle of its body (a response without a body is forwarded unchanged).</summary>
    FlipBodyByte,

    /// <summary>Never forward it; keep the connection open until the client gives up.</summary>
    Stall,

    /// <summary>Reset both connections instead of forwarding it.</summary>
    Reset,
}

/// <summary>One request/response on the proxy, as seen when the response's headers arrive.</summary>
/// <param name="Number">1-based, in the order responses arrive from the server.</param>
/// <param name="Method">The request's method (GET, PUT, HEAD…).</param>
/// <param name="Target">The request target (path and query).</param>
/// <param name="Status">The response status code.</param>
/// <param name="BodyLength">The response body's Content-Length, or -1 when chunked.</param>
public sealed record ProxiedExchange(int Number, string Method, string Target, int Status, long BodyLength)
{
    /// <summary>When the response's headers arrived from the server, since the proxy started.</summary>
    public TimeSpan At { get; init; }
}

/// <summary>What became of one stalled response.</summary>
/// <param name="Exchange">The stalled exchange.</param>
/// <param name="ResentAt">When the same request (method and target) next arrived on another connection, since the proxy started; null if it never did.</param>
/// <param name="ResentWhileOpen">
/// True when it arrived while the stalled connection was still open: a hedge. A retry after a
/// timeout comes only once the client has given up on the first request, and closed its connection.
/// </param>
public sealed record StalledExchange(ProxiedExchange Exchange, TimeSpan? ResentAt, bool ResentWhileOpen);

/// <summary>One request as the proxy forwarded it.</summary>
/// <param name="At">When its head arrived, since the proxy started.</param>
/// <param name="Connection">The client connection it came on (1-based, in the order they were accepted).</param>
/// <param name="Method">The request's method.</param>
/// <param name="Target">The request target (path and query).</param>
public sealed record ProxiedRequest(TimeSpan At, int Connection, string Method, string Target);

/// <summary>
/// A loopback TCP proxy in front of an emulator that understands just enough HTTP/1.1 (request and
/// response framing by Content-Length or chunked encoding) to misbehave per response: flip a bit
/// of a body, stall a response, or reset the connection, as <see cref="Faults"/> decides. The SDKs
/// then meet the faults in their real HTTP layer, as on a bad network.
/// </summary>
public sealed class FaultInjectingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly ConcurrentQueue<(ProxiedExchange Exchange, ProxyFault Fault)> _log = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly ConcurrentDictionary<int, (ProxiedRequest Request, TimeSpan? EndedAt)> _stalls = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Task _accepting;
    private int _responses;
    private int _connectionCount;

    public FaultInjectingTcpProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Decides each response's fault; null = forward everything unchanged. May be changed at any time.</summary>
    public Func<ProxiedExchange, ProxyFault>? Faults { get; set; }

    /// <summary>Every faulted exchange so far, in order.</summary>
    public IReadOnlyList<(ProxiedExchange Exchange, ProxyFault Fault)> Injected => [.. _log];

    /// <summary>Every request forwarded so far, in order.</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>
    /// Every stalled response so far, with whether and when the client sent the same request again
    /// on another connection, and whether it did so while the stalled one was still open (a hedge).
    /// </summary>
    public IReadOnlyList<StalledExchange> Stalls()
    {
        var requests = Requests;
        return [.. Injected.Where(i => i.Fault == ProxyFault.Stall).Select(i =>
        {
            var (stalled, endedAt) = _stalls[i.Exchange.Number];
            var again = requests.FirstOrDefault(r => r.Connection != stalled.Connection && r.At > stalled.At
                && r.Method == stalled.Method && r.Target == stalled.Target);
            return again is null
                ? new StalledExchange(i.Exchange, null, false)
                : new StalledExchange(i.Exchange, again.At, endedAt is not { } ended || again.At < ended);
        })];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await Task.WhenAll([_accepting, .. _connections]).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        using var upstream = new TcpClient();
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, connection.Token);
                var methods = Channel.CreateUnbounded<ProxiedRequest>();
                var number = Interlocked.Increment(ref _connectionCount);
                var requests = PumpRequestsAsync(number, client.GetStream(), upstream.GetStream(), methods.Writer, connection.Token);
                var responses = PumpResponsesAsync(upstream.GetStream(), client, methods.Reader, connection.Token);
                await Task.WhenAny(requests, responses);
            }
            catch (Exception)
            {
                // A connection ending in any way is normal for a proxy.
            }
            finally
            {
                await connection.CancelAsync();
            }
        }
    }

    private async Task PumpRequestsAsync(int connectionNumber, NetworkStream from, NetworkStream to, ChannelWriter<ProxiedRequest> methods, CancellationToken ct)
    {
        var reader = new HttpReader(from);
        while (await reader.ReadHeaderAsync(ct) is { } header)
        {
            var requestLine = header[..header.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
            var request = new ProxiedRequest(_clock.Elapsed, connectionNumber, requestLine[0], requestLine.Length > 1 ? requestLine[1] : "");
            _requests.Enqueue(request);
            await methods.WriteAsync(request, ct);
            await to.WriteAsync(Encoding.ASCII.GetBytes(header), ct);
            await reader.CopyBodyAsync(header, hasBody: true, to, flipAt: -1, ct);
        }
    }

    private async Task PumpResponsesAsync(NetworkStream from, TcpClient client, ChannelReader<ProxiedRequest> methods, CancellationToken ct)
    {
        var to = client.GetStream();
        var reader = new HttpReader(from);
        while (await reader.ReadHeaderAsync(ct) is { } header)
        {
            var statusLine = header[..header.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
            var status = int.Parse(statusLine[1], CultureInfo.InvariantCulture);
            if (status == 100)
            {
                await to.WriteAsync(Encoding.ASCII.GetBytes(header), ct);
                continue;
            }

            var request = await methods.ReadAsync(ct);
            var (method, target) = (request.Method, request.Target);
            var hasBody = method != "HEAD" && status is not (204 or 304);
            var length = HttpReader.ContentLength(header) ?? -1;
            var exchange = new ProxiedExchange(Interlocked.Increment(ref _responses), method, target, status, hasBody ? length : 0) { At = _clock.Elapsed };
            var fault = Faults?.Invoke(exchange) ?? ProxyFault.None;
            if (fault == ProxyFault.FlipBodyByte && exchange.BodyLength <= 0)
            {
                fault = ProxyFault.None;
            }

            if (fault == ProxyFault.Stall)
            {
                _stalls[exchange.Number] = (request, null);
            }

            if (fault != ProxyFault.None)
            {
                _log.Enqueue((exchange, fault));
            }

            switch (fault)
            {
                case ProxyFault.Stall:
                    // Hold the response until the client closes the connection (a hedge won, or its timeout).
                    try
                    {
                        await Task.Delay(Timeout.Infinite, ct);
                    }
                    finally
                    {
                        _stalls[exchange.Number] = (request, _clock.Elapsed);
                    }

                    return;
                case ProxyFault.Reset:
                    client.Client.LingerState = new LingerOption(true, 0);
                    return;
            }

            await to.WriteAsync(Encoding.ASCII.GetBytes(header), ct);
            await reader.CopyBodyAsync(header, hasBody, to, fault == ProxyFault.FlipBodyByte ? exchange.BodyLength / 2 : -1, ct);
        }
    }

    /// <summary>Reads HTTP/1.1 message heads and copies bodies, framed by Content-Length or chunked encoding.</summary>
    private sealed class HttpReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public static long? ContentLength(string header)
        {
            foreach (var line in header.Split("\r\n"))
            {
                if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
                {
                    return long.Parse(line["content-length:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }

            return null;
        }

        /// <summary>The next message head including its blank line, or null at the end of the stream.</summary>
        public async Task<string?> ReadHeaderAsync(CancellationToken ct)
        {
            var head = new StringBuilder();
            while (true)
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    return null;
                }

                var c = (char)_buffer[_start++];
                head.Append(c);
                if (c == '\n' && head.Length >= 4 && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
                {
                    return head.ToString();
                }
            }
        }

        /// <summary>Copies the body that follows <paramref name="header"/>, flipping a bit at body offset <paramref name="flipAt"/> (≥ 0).</summary>
        public async Task CopyBodyAsync(string header, bool hasBody, Stream to, long flipAt, CancellationToken ct)
        {
            if (!hasBody)
            {
                return;
            }

            if (ContentLength(header) is { } length)
            {
                await CopyAsync(length, to, flipAt, ct);
                return;
            }

            if (!header.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
            {
                return; // a request without a body
            }

            while (true)
            {
                var sizeLine = await ReadLineAsync(ct);
                await to.WriteAsync(Encoding.ASCII.GetBytes(sizeLine), ct);
                var size = long.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    string trailer;
                    do
                    {
                        trailer = await ReadLineAsync(ct);
                        await to.WriteAsync(Encoding.ASCII.GetBytes(trailer), ct);
                    }
                    while (trailer != "\r\n");
                    return;
                }

                await CopyAsync(size + 2, to, flipAt >= 0 && flipAt < size ? flipAt : -1, ct);
                flipAt = flipAt >= 0 && flipAt < size ? -1 : flipAt;
            }
        }

        private async Task CopyAsync(long count, Stream to, long flipAt, CancellationToken ct)
        {
            long position = 0;
            while (position < count)
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    throw new IOException("connection closed inside a body");
                }

                var n = (int)Math.Min(_end - _start, count - position);
                if (flipAt >= position && flipAt < position + n)
                {
                    _buffer[_start + (int)(flipAt - position)] ^= 0x01;
                }

                await to.WriteAsync(_buffer.AsMemory(_start, n), ct);
                _start += n;
                position += n;
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            var line = new StringBuilder();
            while (line.Length < 2 || line[^2] != '\r' || line[^1] != '\n')
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    throw new IOException("connection closed inside a chunk header");
                }

                line.Append((char)_buffer[_start++]);
            }

            return line.ToString();
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, ct);
            return _end > 0;
        }
    }
}
