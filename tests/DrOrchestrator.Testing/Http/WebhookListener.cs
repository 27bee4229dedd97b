using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DrOrchestrator.Testing.Http;

/// <summary>
/// A real HTTP endpoint on loopback (HttpListener) that records every request and answers with
/// the next status from a script (200 once the script is used up).
/// </summary>
public sealed class WebhookListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<HttpStatusCode> _script;
    private readonly Task _loop;

    public WebhookListener(params HttpStatusCode[] script)
    {
        _script = new ConcurrentQueue<HttpStatusCode>(script);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hooks/drorch/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    /// <summary>Every request received, in order: body, signature header, the status it got.</summary>
    public ConcurrentQueue<(string Body, string? Signature, HttpStatusCode Answer)> Requests { get; } = new();

    public IEnumerable<string> Accepted => Requests.Where(r => r.Answer == HttpStatusCode.OK).Select(r => r.Body);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's disposal exception.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var answer = _script.TryDequeue(out var scripted) ? scripted : HttpStatusCode.OK;
            Requests.Enqueue((body, context.Request.Headers["X-Drorch-Signature"], answer));
            context.Response.StatusCode = (int)answer;
            context.Response.Close();
        }
    }
}
