using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.CatalogRebuild;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// "At least daily" for the orchestrator's own backup (docs/decisions.md §61), whatever the
/// policies' schedules: a Quartz trigger fires once a day (<see cref="Cron"/>, UTC) and, like a
/// policy fire, claims its instant in the catalog (policy <see cref="SystemRecords.PolicyName"/>,
/// kind <c>systembackup</c>, due time — unique, so a double fire or a second node claims once)
/// before it enqueues one <see cref="SystemRecordJob"/>.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SystemRecordDailyJob(CatalogStore catalog, IBackgroundJobClient jobs, ILogger<SystemRecordDailyJob> logger) : IJob
{
    public static readonly JobKey Key = new("system-record", "drorch");

    public static readonly TriggerKey TriggerKey = new("system-record-daily", "drorch");

    /// <summary>02:30 UTC every day: after most nightly backups, so the day's runs are in the record.</summary>
    public const string Cron = "0 30 2 * * ?";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await FireAsync(context.ScheduledFireTimeUtc ?? context.FireTimeUtc, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claims <paramref name="due"/> and enqueues the record's job; null when the instant was already claimed.</summary>
    public async Task<string?> FireAsync(DateTimeOffset due, CancellationToken cancellationToken)
    {
        var fireId = await catalog.TryClaimFireAsync(SystemRecords.PolicyName, RunKind.SystemBackup, due, FireStatus.Enqueued, null, cancellationToken).ConfigureAwait(false);
        if (fireId is not { } id)
        {
            SystemRecordLog.FireDuplicate(logger, due);
            return null;
        }

        var jobId = jobs.Enqueue<SystemRecordJob>(j => j.WriteAsync(id, CancellationToken.None));
        await catalog.UpdateFireAsync(id, FireStatus.Enqueued, jobId, null, cancellationToken).ConfigureAwait(false);
        SystemRecordLog.FireEnqueued(logger, due, jobId);
        return jobId;
    }
}

/// <summary>The Hangfire job of the daily fire: a system record for every policy's targets (Orchestration's <see cref="SystemBackupService"/>).</summary>
public sealed class SystemRecordJob(IServiceScopeFactory scopes, CatalogStore catalog, ILogger<SystemRecordJob> logger)
{
    /// <summary>Not retried: a failed target is recorded as a failed run, and the next fire or policy change writes again.</summary>
    [JobDisplayName("system record")]
    [AutomaticRetry(Attempts = 0)]
    public async Task WriteAsync(long fireId, CancellationToken cancellationToken)
    {
        string detail;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<SystemBackupService>().WriteAsync(null, onlyIfDue: false, cancellationToken).ConfigureAwait(false);
            var failed = result.Targets.Where(t => t.Error is not null).ToList();
            detail = failed.Count == 0
                ? $"succeeded: {result.Targets.Count(t => t.SnapshotId is not null)} target(s) received a record"
                : $"failed on {string.Join(", ", failed.Select(f => f.Target))}: {failed[0].Error}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            detail = $"failed: {ex.Message}";
        }

        await catalog.UpdateFireAsync(fireId, FireStatus.Done, null, detail, CancellationToken.None).ConfigureAwait(false);
        SystemRecordLog.Written(logger, fireId, detail);
    }
}

/// <summary>Log messages of the daily system record (event ids 6300–6309, docs/event-ids.md).</summary>
internal static partial class SystemRecordLog
{
    [LoggerMessage(6300, LogLevel.Information, "System record fire due {ScheduledAt:o} enqueued as job {JobId}")]
    public static partial void FireEnqueued(ILogger logger, DateTimeOffset scheduledAt, string jobId);

    [LoggerMessage(6301, LogLevel.Debug, "System record fire due {ScheduledAt:o} was already handled")]
    public static partial void FireDuplicate(ILogger logger, DateTimeOffset scheduledAt);

    [LoggerMessage(6302, LogLevel.Information, "System record fire {FireId} finished: {Detail}")]
    public static partial void Written(ILogger logger, long fireId, string detail);
}
