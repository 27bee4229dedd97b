using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DrOrchestrator.Orchestration.Contracts;

namespace DrOrchestrator.Cli.Commands.Remote;

/// <summary>
/// `drorch --server URL …`: the service's REST API as the commands need it. The API key comes
/// from <see cref="ApiKeyVariable"/> (never a command-line argument: it would show in `ps` and
/// shell history). The service's refusals (problem details) become the command's error lines.
/// </summary>
public sealed class ServiceClient : IDisposable
{
    public const string ApiKeyVariable = "DRORCH_API_KEY";

    /// <summary>How often a command waiting for its job asks the service.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly HttpClient _http;

    private ServiceClient(HttpClient http)
    {
        _http = http;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <exception cref="ServiceRequestException">The URL is not http(s), or the key variable is not set (exit 2).</exception>
    public static ServiceClient Connect(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ServiceRequestException([$"--server: '{url}' is not an http(s) URL (e.g. http://127.0.0.1:8080)"], ExitCodes.InvalidInput);
        }

        var key = Environment.GetEnvironmentVariable(ApiKeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ServiceRequestException([$"--server: set {ApiKeyVariable} to an API key of the service"], ExitCodes.InvalidInput);
        }

        var http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new ServiceClient(http);
    }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    /// <summary>A text answer (a page) as it came.</summary>
    public Task<string> GetTextAsync(string path, CancellationToken cancellationToken) => SendTextAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<T> PostJsonAsync<T>(string path, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Post, path, JsonContent.Create(body, options: ContractJson.Options), cancellationToken);

    public Task<T> PostYamlAsync<T>(string path, string yaml, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Post, path, new StringContent(yaml, Encoding.UTF8, "application/yaml"), cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        var body = await SendTextAsync(method, path, content, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<T>(body, ContractJson.Options)
            ?? throw new ServiceRequestException([$"{BaseAddress}: {method} {path}: empty answer"], ExitCodes.Failure);
    }

    private async Task<string> SendTextAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ServiceRequestException([$"{BaseAddress}: not reachable: {ex.Message}"], ExitCodes.Failure);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Refused(method, path, response.StatusCode, body);
            }

            return body;
        }
    }

    /// <summary>The problem's own lines (an invalid policy's <c>file:line: field: message</c>), else its detail, else the status.</summary>
    private ServiceRequestException Refused(HttpMethod method, string path, HttpStatusCode status, string body)
    {
        var lines = new List<string>();
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("problems", out var problems) && problems.ValueKind == JsonValueKind.Array)
            {
                lines.AddRange(problems.EnumerateArray().Select(p => p.GetString() ?? ""));
            }
            else if (problem.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } text)
            {
                lines.Add(text);
            }
        }
        catch (JsonException)
        {
            // not a problem document: the status line below says what happened
        }

        int code = (int)status;
        if (lines.Count == 0)
        {
            lines.Add(status switch
            {
                HttpStatusCode.Unauthorized => $"{BaseAddress}: the key in {ApiKeyVariable} was not accepted (401)",
                HttpStatusCode.Forbidden => $"{BaseAddress}: the key in {ApiKeyVariable} may not {method} {path} (403: needs the admin role)",
                _ => $"{BaseAddress}: {method} {path}: {code} {status}",
            });
        }

        // The caller's input or key was refused: 2, like a local invalid input; the service failing: 1.
        return new ServiceRequestException(lines, code is >= 400 and < 500 ? ExitCodes.InvalidInput : ExitCodes.Failure);
    }

    public void Dispose() => _http.Dispose();
}
