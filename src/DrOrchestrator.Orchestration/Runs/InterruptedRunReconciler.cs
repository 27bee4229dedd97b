using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Runs;

/// <summary>
/// Brings the catalog back in line after a process was killed mid-run. A backup killed between
/// the repository commit and the catalog commit leaves a durable snapshot the catalog does not
/// know, and its run row stays "running" for ever. Every command that opens the catalog calls
/// this first: runs still marked running whose process is gone (<see cref="ProcessLiveness"/>)
/// are marked interrupted, finished when last seen; for an interrupted backup, the policy's
/// snapshots on its primary targets that the catalog lacks are added with their presence (they
/// are durable, so they count for RPO).
/// </summary>
/// <remarks>
/// Cost: the running row is the run's intent (policy and targets), so with no run left running
/// this is one indexed query; repositories are listed only for a backup found interrupted. One
/// command claims each interrupted run (an atomic update), so two commands never both adopt.
/// A target that cannot be read then is logged; its snapshots come back with
/// <c>catalog rebuild --from</c>.
/// </remarks>
public sealed class InterruptedRunReconciler(CatalogStore catalog, RepositoryAccess repositories, TimeProvider time, ILogger<InterruptedRunReconciler> logger)
{
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var running = await catalog.ListRunningRunsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var run in running)
        {
            var why = ProcessLiveness.WhyGone(run, time.GetUtcNow());
            if (why is null
                || !await catalog.MarkInterruptedAsync(run.Id, run.LastSeen, $"{why}; last seen {run.LastSeen:u}", cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (run.Kind == RunKind.Backup && run.PolicyName is not null)
            {
                await AdoptSnapshotsAsync(run, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AdoptSnapshotsAsync(RunningRun run, CancellationToken cancellationToken)
    {
        var stored = await catalog.GetPolicyAsync(run.PolicyName!, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return;
        }

        var known = (await catalog.ListSnapshotsAsync(run.PolicyName, cancellationToken).ConfigureAwait(false))
            .Select(s => s.Figures.SnapshotId).ToHashSet(StringComparer.Ordinal);
        var adopted = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        foreach (var target in stored.ToPolicy().Primaries.Select(t => t.Name))
        {
            try
            {
                await using var repository = await repositories.OpenAsync(target, cancellationToken).ConfigureAwait(false);
                foreach (var snapshot in await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (snapshot.PolicyName == run.PolicyName && !known.Contains(snapshot.Id))
                    {
                        await catalog.RecordSnapshotAsync(run.PolicyName!, SnapshotRecords.Figures(snapshot), target, snapshot.Time, cancellationToken).ConfigureAwait(false);
                        adopted.TryAdd(snapshot.Id, snapshot);
                        Log.SnapshotAdopted(logger, snapshot.Id, run.PolicyName!, target, run.Id);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                Log.AdoptionFailed(logger, run.Id, target, ex.Message);
            }
        }

        // The run's own snapshot: the newest one it could have written (one run may write several).
        var own = adopted.Values.Where(s => s.Time >= run.StartedAt - ProcessLiveness.OtherHostSilence).OrderBy(s => s.Time).ToList();
        if (own.Count > 0)
        {
            var figures = new RunFigures(
                own.Sum(s => s.Summary.TotalBytes), own.Sum(s => s.Summary.BytesNew), own.Sum(s => s.Summary.BytesStored), own.Sum(s => s.Summary.TotalFiles), 0, own[^1].Id);
            await catalog.SetInterruptedRunFiguresAsync(run.Id, figures, cancellationToken).ConfigureAwait(false);
        }
    }
}
