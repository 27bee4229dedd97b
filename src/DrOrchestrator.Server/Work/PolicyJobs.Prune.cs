using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Prune;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Work;

/// <summary>The prune job: Orchestration's <see cref="PolicyPruneService"/> (what `drorch prune` runs), one target at a time.</summary>
public sealed partial class PolicyJobs
{
    /// <summary>
    /// Prunes <paramref name="policy"/> on each of its targets. Prune takes no repository lock
    /// (docs/decisions.md §32): backups, copies and drills go on. Two prunes of one repository are
    /// not coordinated by the engine, so the job holds a claim per target (across nodes too) and
    /// waits for it. A target that fails does not stop the others; each target's prune is a run of
    /// kind prune in the catalog, and a target's failure (unreachable, damaged) is that run's
    /// result, not retried: the next prune picks the work up where this one left it (§32). Other
    /// failures are retried with the jobs' back-off; a prune is safe to run again.
    /// </summary>
    [JobDisplayName("prune {0}")]
    public async Task PruneAsync(string policy, long? fireId, string requestedBy, PerformContext? context, CancellationToken cancellationToken)
    {
        var job = tracker.Track(JobId(context), "prune", policy, requestedBy);
        if (!await OwnsFireAsync(job, fireId, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await RunAsync(job, fireId, cancellationToken, async (scope, ct) =>
        {
            var stored = await catalog.GetPolicyAsync(policy, ct).ConfigureAwait(false) ?? throw new PolicyNotFoundException(policy);
            var results = new List<string>();
            int failed = 0;
            foreach (var target in stored.ToPolicy().Targets.Select(t => t.Name).Distinct(StringComparer.Ordinal))
            {
                job.Phase = $"waiting for prune of {target}";
                await using var pruneClaim = await locks.AcquireSlotAsync($"prune:{target}", 1, ct).ConfigureAwait(false);
                await using var slots = await ClaimTargetsAsync(job, policy, p => p.Targets.Where(t => t.Name == target), ct).ConfigureAwait(false);
                job.Phase = $"pruning {target}";
                var outcome = await scope.GetRequiredService<PolicyPruneService>().PruneAsync(policy, target, dryRun: false, ct).ConfigureAwait(false);
                foreach (var result in outcome.Targets)
                {
                    if (result.Error is { } error)
                    {
                        failed++;
                        results.Add($"{result.Target}: failed: {error}");
                    }
                    else
                    {
                        var f = result.Figures!;
                        job.BytesDone += f.BytesDeleted;
                        results.Add($"{result.Target}: {f.SnapshotsForgotten} snapshots forgotten, {f.PacksMarked} packs marked, {f.PacksDeleted} deleted ({f.BytesDeleted} bytes)");
                    }
                }
            }

            return (failed == 0 ? "succeeded" : failed == results.Count ? "failed" : "degraded", string.Join("; ", results));
        }).ConfigureAwait(false);
    }
}
