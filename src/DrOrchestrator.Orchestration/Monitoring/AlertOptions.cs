using System.ComponentModel.DataAnnotations;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>
/// The <c>Alerts</c> section: where webhook notifications go. Without a URL alerts are only
/// logged. The HMAC secret is read from the environment variable named here, never from the file.
/// </summary>
public sealed class AlertOptions : IValidatableObject
{
    public const string SectionName = "Alerts";

    /// <summary>Absolute http(s) URL the JSON payload is POSTed to; null = log only.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Environment variable holding the HMAC-SHA256 key; the signature goes in <c>X-Drorch-Signature: sha256=&lt;hex&gt;</c>.</summary>
    public string? SecretEnvironmentVariable { get; set; }

    /// <summary>Deliveries tried per alert and pass before giving up until the next pass.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubled after each further failure.</summary>
    [Range(1, 600_000)]
    public int FirstRetryDelayMilliseconds { get; set; } = 1000;

    /// <summary>How long one delivery may take before it counts as failed.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WebhookUrl is not null
            && (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult($"Alerts:WebhookUrl: '{WebhookUrl}' is not an absolute http or https URL", [nameof(WebhookUrl)]);
        }

        if (SecretEnvironmentVariable is { } variable && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            yield return new ValidationResult($"Alerts:SecretEnvironmentVariable: environment variable {variable} is not set", [nameof(SecretEnvironmentVariable)]);
        }
    }

    /// <summary>The HMAC key, or null when no variable is named.</summary>
    public byte[]? Secret() =>
        SecretEnvironmentVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? System.Text.Encoding.UTF8.GetBytes(value)
            : null;
}

/// <summary>The <c>Monitoring</c> section: how often the watchdog looks, and what the service shows without a key.</summary>
public sealed class MonitoringOptions
{
    public const string SectionName = "Monitoring";

    /// <summary>Seconds between watchdog passes: the longest a breach goes unnoticed.</summary>
    [Range(1, 3600)]
    public int CheckSeconds { get; set; } = 60;

    /// <summary>Serve the status page at <c>/</c> without an API key (it shows policy and target names and figures).</summary>
    public bool PublicStatusPage { get; set; }

    /// <summary>Serve <c>/metrics</c> without an API key (Prometheus can also send one as a bearer token).</summary>
    public bool PublicMetrics { get; set; }
}
