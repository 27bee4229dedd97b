using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// Keeps the catalog's fire history bounded: every hour (<see cref="Cron"/>, UTC; one node of a
/// cluster) the finished fires older than <c>Server:FireHistoryDays</c> are forgotten, each
/// trigger's newest kept (<see cref="CatalogStore.ForgetFiresBeforeAsync"/>). Runs, snapshots and
/// the objectives are not fire rows and stay.
/// </summary>
[DisallowConcurrentExecution]
public sealed class FireHistoryRetentionJob(CatalogStore catalog, TimeProvider time, IOptions<ServerOptions> options, ILogger<FireHistoryRetentionJob> logger) : IJob
{
    public static readonly JobKey Key = new("fire-history-retention", "drorch");

    public static readonly TriggerKey TriggerKey = new("fire-history-retention-hourly", "drorch");

    /// <summary>At minute 17 of every hour: away from the top of the hour, when most crons fire.</summary>
    public const string Cron = "0 17 * * * ?";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await ForgetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets the finished fires older than the history; returns how many.</summary>
    public async Task<int> ForgetAsync(CancellationToken cancellationToken)
    {
        var days = options.Value.FireHistoryDays;
        var before = time.GetUtcNow() - TimeSpan.FromDays(days);
        var forgotten = await catalog.ForgetFiresBeforeAsync(before, cancellationToken).ConfigureAwait(false);
        if (forgotten > 0)
        {
            Log.FiresForgotten(logger, forgotten, before, days);
        }

        return forgotten;
    }
}
