using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Monitoring;

/// <summary>Monitoring and alert log events (ids 1300–1399; see docs/event-ids.md): the log side of every alert.</summary>
internal static partial class Log
{
    [LoggerMessage(1300, LogLevel.Error, "RPO breached: policy {Policy} on {Target}, exposure {Exposure} over target {Rpo}")]
    public static partial void RpoBreached(ILogger logger, string policy, string target, TimeSpan exposure, TimeSpan rpo);

    [LoggerMessage(1301, LogLevel.Information, "RPO recovered: policy {Policy} on {Target}, exposure {Exposure} within target {Rpo}")]
    public static partial void RpoRecovered(ILogger logger, string policy, string target, TimeSpan? exposure, TimeSpan rpo);

    [LoggerMessage(1302, LogLevel.Error, "Restore drill of policy {Policy} from {Target} failed (run {RunId}): {Mismatches} mismatches")]
    public static partial void DrillFailed(ILogger logger, string policy, string target, long runId, long mismatches);

    [LoggerMessage(1303, LogLevel.Warning, "Restore drill of policy {Policy} from {Target} took {Achieved}, over the RTO target {RtoTarget} (run {RunId})")]
    public static partial void DrillOverRto(ILogger logger, string policy, string target, long runId, TimeSpan achieved, TimeSpan? rtoTarget);

    [LoggerMessage(1304, LogLevel.Error, "Backup of policy {Policy} failed (run {RunId}): {Reason}")]
    public static partial void BackupFailed(ILogger logger, string policy, long runId, string? reason);

    [LoggerMessage(1308, LogLevel.Warning, "No snapshot yet: policy {Policy} on {Target} (RPO {Rpo})")]
    public static partial void NoSnapshotYet(ILogger logger, string policy, string target, TimeSpan rpo);

    [LoggerMessage(1305, LogLevel.Information, "Alert {Kind} {Status} for policy {Policy} delivered (attempt {Attempt})")]
    public static partial void AlertDelivered(ILogger logger, AlertKind kind, string status, string policy, int attempt);

    [LoggerMessage(1306, LogLevel.Warning, "Alert {Kind} {Status} for policy {Policy}: delivery attempt {Attempt} failed ({Reason}); retrying in {Delay}")]
    public static partial void AlertRetry(ILogger logger, AlertKind kind, string status, string policy, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(1307, LogLevel.Error, "Alert {Kind} {Status} for policy {Policy} not delivered after {Attempts} attempts ({Reason}); trying again next pass")]
    public static partial void AlertUndelivered(ILogger logger, AlertKind kind, string status, string policy, int attempts, string reason);
}
