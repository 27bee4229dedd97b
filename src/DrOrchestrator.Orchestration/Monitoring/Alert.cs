namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>What an alert is about.</summary>
public enum AlertKind
{
    RpoBreach,
    DrillFailed,
    DrillOverRto,
    BackupFailed,
}

/// <summary>
/// One notification, as POSTed (JSON, camelCase). <see cref="Key"/> names the condition (the same
/// for its <c>firing</c> and its <c>resolved</c>), <see cref="Id"/> the notification, so a receiver
/// that got a retried delivery twice (its answer was lost) can drop the second.
/// </summary>
public sealed record Alert(
    string Id,
    string Key,
    AlertKind Kind,
    string Status,
    string Policy,
    string? Target,
    string Summary,
    DateTimeOffset At,
    IReadOnlyDictionary<string, object?> Details)
{
    public const string Firing = "firing";
    public const string Resolved = "resolved";
}

/// <summary>Where alerts go (a webhook, or nowhere but the log).</summary>
public interface IAlertSender
{
    /// <summary>Delivers <paramref name="alert"/>; false when every attempt failed (the caller tries again on its next pass).</summary>
    Task<bool> SendAsync(Alert alert, CancellationToken cancellationToken);
}

/// <summary>No webhook configured: alerts are only the log events the watchdog writes.</summary>
public sealed class LogOnlyAlertSender : IAlertSender
{
    public Task<bool> SendAsync(Alert alert, CancellationToken cancellationToken) => Task.FromResult(true);
}
