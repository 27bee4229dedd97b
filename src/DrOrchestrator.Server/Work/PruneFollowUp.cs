using DrOrchestrator.Catalog;
using DrOrchestrator.Server.Configuration;
using DrOrchestrator.Server.Scheduling;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Server.Work;

/// <summary>
/// The prune that follows a scheduled backup (docs/decisions.md §56). It is a fire of its own in
/// the catalog — kind prune, due at the backup fire's instant — so the unique (policy, kind, due)
/// index is its idempotency key: a backup job that runs again (a retry, a node that died after the
/// backup) cannot queue a second prune for the same fire. At most one per
/// <see cref="ServerOptions.PruneIntervalMinutes"/>; never for a policy without retention rules,
/// and only after a backup that succeeded (a degraded snapshot misses files, and retention would
/// count it like a complete one).
/// </summary>
public sealed class PruneFollowUp(CatalogStore catalog, FireHandler handler, IOptions<ServerOptions> options)
{
    /// <summary>Claims and enqueues the prune following the backup of <paramref name="backupFireId"/>; the job id, or null when none is due.</summary>
    public async Task<string?> AfterBackupAsync(string policyName, long backupFireId, CancellationToken cancellationToken)
    {
        if (!options.Value.PruneAfterBackup
            || await catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false) is not { } stored
            || stored.ToPolicy().Retention.KeepsEverything
            || await catalog.GetFireAsync(backupFireId, cancellationToken).ConfigureAwait(false) is not { } backupFire)
        {
            return null;
        }

        var due = backupFire.ScheduledAt;
        var last = await catalog.GetLastFireAsync(policyName, RunKind.Prune, cancellationToken).ConfigureAwait(false);
        if (last is { } previous && due - previous < TimeSpan.FromMinutes(options.Value.PruneIntervalMinutes))
        {
            return null; // pruned recently enough (or this very fire's prune exists already)
        }

        var fireId = await catalog.TryClaimFireAsync(policyName, RunKind.Prune, due, FireStatus.Enqueued, "after the backup fire due at the same instant", cancellationToken)
            .ConfigureAwait(false);
        return fireId is null ? null : await handler.EnqueueAsync(policyName, RunKind.Prune, due, fireId.Value, cancellationToken).ConfigureAwait(false);
    }
}
