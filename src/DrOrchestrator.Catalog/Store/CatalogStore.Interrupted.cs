using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>How often a running run's heartbeat is recorded.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The runs still marked running, oldest first. When there are none — nearly always — this
    /// costs one plain SQL statement on the (Status, StartedAt) index: every command asks, and an
    /// EF query would first be compiled (tens of ms cold, docs/decisions.md §17).
    /// </summary>
    public async Task<IReadOnlyList<RunningRun>> ListRunningRunsAsync(CancellationToken cancellationToken)
    {
        // Plain ADO: without a running run, EF Core is not even built (docs/decisions.md §68).
        if (!await AnyRunningAsync(cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.Runs.AsNoTracking().Where(r => r.Status == RunStatus.Running).OrderBy(r => r.StartedAt)
                .Select(r => new
                {
                    r.Id,
                    Policy = r.Policy == null ? null : r.Policy.Name,
                    Target = r.Target == null ? null : r.Target.Name,
                    r.Kind,
                    r.StartedAt,
                    r.Host,
                    r.ProcessId,
                    r.ProcessStartedAt,
                    r.HeartbeatAt,
                })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => new RunningRun(
                r.Id,
                r.Policy,
                r.Target,
                r.Kind,
                r.StartedAt,
                r.Host is null || r.ProcessId is null || r.ProcessStartedAt is null ? null : new RunProcess(r.Host, r.ProcessId.Value, r.ProcessStartedAt.Value),
                r.HeartbeatAt))];
        }
    }

    private async Task<bool> AnyRunningAsync(CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Same text on SQLite and PostgreSQL; the status is stored lower-case (Enums.cs).
            return await CatalogConnections.ScalarAsync(connection, null, "SELECT 1 FROM \"Runs\" WHERE \"Status\" = 'running' LIMIT 1", cancellationToken).ConfigureAwait(false) is not null;
        }
    }

    /// <summary>Records that the running run <paramref name="runId"/> is alive now (no-op once it finished).</summary>
    public async Task TouchRunAsync(long runId, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await CatalogConnections.ExecuteAsync(
                connection, null, """UPDATE "Runs" SET "HeartbeatAt" = @now WHERE "Id" = @id AND "Status" = 'running'""", cancellationToken,
                ("@now", connections.Time(Now)), ("@id", runId)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Marks a run whose process is gone as interrupted, finished at <paramref name="lastSeen"/>.
    /// Atomic: false when another command got there first (or the run finished meanwhile), so
    /// exactly one command reconciles each interrupted run.
    /// </summary>
    public async Task<bool> MarkInterruptedAsync(long runId, DateTimeOffset lastSeen, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var finishedAt = Normalize(lastSeen);
            var message = Truncate(reason);
            var changed = await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(
                    set => set.SetProperty(r => r.Status, RunStatus.Interrupted).SetProperty(r => r.FinishedAt, finishedAt).SetProperty(r => r.ErrorMessage, message),
                    cancellationToken)
                .ConfigureAwait(false);
            if (changed == 1)
            {
                Log.RunInterrupted(logger, runId, reason);
            }

            return changed == 1;
        }
    }

    /// <summary>Sets the figures of an interrupted run from the snapshot found to have been committed by it.</summary>
    public async Task SetInterruptedRunFiguresAsync(long runId, RunFigures figures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            await db.Runs.Where(r => r.Id == runId && r.Status == RunStatus.Interrupted)
                .ExecuteUpdateAsync(
                    set => set.SetProperty(r => r.BytesRead, figures.BytesRead).SetProperty(r => r.BytesNew, figures.BytesNew)
                        .SetProperty(r => r.BytesStored, figures.BytesStored).SetProperty(r => r.Files, figures.Files)
                        .SetProperty(r => r.SnapshotId, figures.SnapshotId),
                    cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
