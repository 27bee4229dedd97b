using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Catalog;

/// <summary>Catalog log messages (event ids 3000–3999; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Applying {Count} catalog migration(s) on {Provider}: {Migrations}")]
    public static partial void ApplyingMigrations(ILogger logger, int count, string provider, string migrations);

    [LoggerMessage(3001, LogLevel.Debug, "Catalog schema on {Provider} is up to date")]
    public static partial void CatalogUpToDate(ILogger logger, string provider);

    [LoggerMessage(3002, LogLevel.Information, "Policy {Policy} {Change} in the catalog")]
    public static partial void PolicyUpserted(ILogger logger, string policy, PolicyChange change);

    [LoggerMessage(3003, LogLevel.Information, "Run {RunId} ({Kind}) finished: {Status}")]
    public static partial void RunCompleted(ILogger logger, long runId, RunKind kind, RunStatus status);

    [LoggerMessage(3004, LogLevel.Warning, "Heartbeat of run {RunId} could not be recorded: {Reason}")]
    public static partial void HeartbeatFailed(ILogger logger, long runId, string reason);

    [LoggerMessage(3005, LogLevel.Warning, "Run {RunId} marked interrupted: {Reason}")]
    public static partial void RunInterrupted(ILogger logger, long runId, string reason);
}
