using DrOrchestrator.Catalog;
using Quartz;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// The periodic fire catch-up (every <c>Server:RpoCheckSeconds</c>): a fire Quartz dropped is
/// found from the catalog within one period, and so is a claimed fire whose node stopped before
/// queuing it (<see cref="StrandedFires"/>). Its name (and Quartz key) is from when it also
/// computed RPO exposure; that is the monitoring watchdog's now (ObjectiveWatchdog: readings,
/// log lines and alerts), and doing it here too logged every breach twice and cost a snapshot
/// query per policy per period. The name stays so a cluster's stored job keeps resolving.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RpoWatchdogJob(CatalogStore catalog, FireCatchUp catchUp, StrandedFires stranded) : IJob
{
    public static readonly JobKey Key = new("rpo-watchdog", "drorch");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var policies = await catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false);
        await catchUp.RunAsync(policies, cancellationToken).ConfigureAwait(false);
        await stranded.ResolveAsync(cancellationToken).ConfigureAwait(false);
    }
}
