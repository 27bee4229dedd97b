using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server;

/// <summary>Source-generated log messages of the service (stable event ids 4000–4099).</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "Policy {Policy}: {Kind} fire due {ScheduledAt:o} enqueued as job {JobId}")]
    public static partial void FireEnqueued(ILogger logger, string policy, string kind, DateTimeOffset scheduledAt, string jobId);

    [LoggerMessage(6001, LogLevel.Warning, "Policy {Policy}: {Kind} fire due {ScheduledAt:o} missed: {Reason}")]
    public static partial void FireMissed(ILogger logger, string policy, string kind, DateTimeOffset scheduledAt, string reason);

    [LoggerMessage(6002, LogLevel.Debug, "Policy {Policy}: {Kind} fire due {ScheduledAt:o} was already handled")]
    public static partial void FireDuplicate(ILogger logger, string policy, string kind, DateTimeOffset scheduledAt);

    [LoggerMessage(6003, LogLevel.Information, "Policy {Policy} scheduled: {Kind} cron '{Cron}' in {TimeZone}, next fire {Next:o}")]
    public static partial void PolicyScheduled(ILogger logger, string policy, string kind, string cron, string timeZone, DateTimeOffset? next);

    [LoggerMessage(6004, LogLevel.Information, "Policy {Policy} unscheduled")]
    public static partial void PolicyUnscheduled(ILogger logger, string policy);

    [LoggerMessage(6005, LogLevel.Error, "Policy {Policy}: the change was not scheduled, the previous schedule keeps running: {Problem}")]
    public static partial void PolicyRejected(ILogger logger, string policy, string problem);

    [LoggerMessage(6006, LogLevel.Information, "Job {JobId}: {Kind} of policy {Policy} started (requested by {RequestedBy})")]
    public static partial void JobStarted(ILogger logger, string jobId, string kind, string policy, string requestedBy);

    [LoggerMessage(6007, LogLevel.Information, "Job {JobId}: {Kind} of policy {Policy} finished: {Outcome}")]
    public static partial void JobFinished(ILogger logger, string jobId, string kind, string policy, string outcome);

    [LoggerMessage(6009, LogLevel.Warning, "Shutting down: running jobs get {GraceSeconds} s before they are cancelled and re-queued")]
    public static partial void ShutdownGrace(ILogger logger, int graceSeconds);

    [LoggerMessage(6010, LogLevel.Information, "Re-queued interrupted {Kind} of policy {Policy} (fire due {ScheduledAt:o}) as job {JobId}")]
    public static partial void Requeued(ILogger logger, string kind, string policy, DateTimeOffset scheduledAt, string jobId);

    [LoggerMessage(6015, LogLevel.Warning, "The {Kind} fire of policy {Policy} due {ScheduledAt:o} was claimed but never queued (its node stopped, or its queue failed); {Outcome}")]
    public static partial void StrandedFire(ILogger logger, string kind, string policy, DateTimeOffset scheduledAt, string outcome);

    [LoggerMessage(6017, LogLevel.Information, "The {Kind} fire {FireId} of policy {Policy} belongs to another job; job {JobId} does not run it ({Reason})")]
    public static partial void FireOwnedByAnotherJob(ILogger logger, string kind, long fireId, string policy, string jobId, string reason);

    [LoggerMessage(6016, LogLevel.Information, "Forgot {Count} finished scheduled fires due before {Before:o} (Server:FireHistoryDays {Days})")]
    public static partial void FiresForgotten(ILogger logger, int count, DateTimeOffset before, int days);

    [LoggerMessage(6011, LogLevel.Error, "Policy schedule synchronisation failed; retrying: {Reason}")]
    public static partial void SyncFailed(ILogger logger, string reason);

    [LoggerMessage(6012, LogLevel.Information, "drorch serve listening on {Urls} (catalog {Provider}, work queue {WorkStorage})")]
    public static partial void Listening(ILogger logger, string urls, string provider, string workStorage);

    [LoggerMessage(6013, LogLevel.Warning, "Policy {Policy}: the prune following the backup was not queued: {Reason}")]
    public static partial void PruneNotQueued(ILogger logger, string policy, string reason);

    [LoggerMessage(6014, LogLevel.Debug, "Handled {Count} fires in {HandleMs:0} ms (claim {ClaimMs:0}, enqueue {EnqueueMs:0}, job ids {RecordMs:0}); the first reached the intake {ArrivalMs:0} ms after it was due and waited {WaitMs:0} ms")]
    public static partial void FireBatchHandled(ILogger logger, int count, double arrivalMs, double waitMs, double handleMs, double claimMs, double enqueueMs, double recordMs);
}
