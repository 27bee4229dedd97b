using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

/// <summary>Bytes all recorded backups of one policy read, added as new data and stored (after dedup and compression).</summary>
public sealed record BackupByteTotals(string PolicyName, long BytesRead, long BytesNew, long BytesStored);

public sealed partial class CatalogStore
{
    /// <summary>
    /// Runs that finished at or after <paramref name="since"/>, in the order they finished (then by
    /// id): what the monitoring watchdog has not looked at yet.
    /// </summary>
    public async Task<IReadOnlyList<CatalogRun>> ListRunsFinishedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var from = Normalize(since);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await RunQuery(db).Where(r => r.FinishedAt != null && r.FinishedAt >= from)
                .OrderBy(r => r.FinishedAt).ThenBy(r => r.Id)
                .AsSplitQuery().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(ToRecord)];
        }
    }

    /// <summary>
    /// Per policy, the bytes of every backup run that committed a snapshot (succeeded or degraded):
    /// cumulative figures that only grow, hence a counter for the metrics, and right after a restart.
    /// </summary>
    public async Task<IReadOnlyList<BackupByteTotals>> GetBackupByteTotalsAsync(CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.Runs.AsNoTracking()
                .Where(r => r.Kind == RunKind.Backup && r.PolicyId != null && (r.Status == RunStatus.Succeeded || r.Status == RunStatus.Degraded))
                .GroupBy(r => r.Policy!.Name)
                .Select(g => new { Policy = g.Key, Read = g.Sum(r => r.BytesRead), New = g.Sum(r => r.BytesNew), Stored = g.Sum(r => r.BytesStored) })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.OrderBy(r => r.Policy, StringComparer.Ordinal).Select(r => new BackupByteTotals(r.Policy, r.Read, r.New, r.Stored))];
        }
    }
}
