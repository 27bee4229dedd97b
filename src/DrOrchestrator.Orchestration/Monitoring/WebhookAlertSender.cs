using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using DrOrchestrator.Orchestration.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// POSTs alerts as JSON to <see cref="AlertOptions.WebhookUrl"/>, signed with HMAC-SHA256 when a
/// secret is configured, retrying a failed delivery (connection error, timeout, non-2xx answer)
/// with exponential back-off.
/// </summary>
public sealed class WebhookAlertSender(HttpClient http, IOptions<AlertOptions> options, TimeProvider time, ILogger<WebhookAlertSender> logger) : IAlertSender
{
    public const string SignatureHeader = "X-Drorch-Signature";

    public async Task<bool> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var settings = options.Value;
        var url = new Uri(settings.WebhookUrl ?? throw new InvalidOperationException("Alerts:WebhookUrl is not set"));
        var body = JsonSerializer.SerializeToUtf8Bytes(alert, ContractJson.Options);
        var signature = settings.Secret() is { } secret ? "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body)) : null;
        var delay = TimeSpan.FromMilliseconds(settings.FirstRetryDelayMilliseconds);
        for (int attempt = 1; ; attempt++)
        {
            string failure;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (signature is not null)
                {
                    request.Headers.Add(SignatureHeader, signature);
                }

                using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Log.AlertDelivered(logger, alert.Kind, alert.Status, alert.Policy, attempt);
                    return true;
                }

                failure = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                failure = ex.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {settings.TimeoutSeconds} s";
            }

            if (attempt >= settings.MaxAttempts)
            {
                Log.AlertUndelivered(logger, alert.Kind, alert.Status, alert.Policy, attempt, failure);
                return false;
            }

            Log.AlertRetry(logger, alert.Kind, alert.Status, alert.Policy, attempt, failure, delay);
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
