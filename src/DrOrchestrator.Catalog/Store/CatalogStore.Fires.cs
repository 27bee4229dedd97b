using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>
    /// Claims the fire of <paramref name="policyName"/>'s <paramref name="kind"/> trigger due at
    /// <paramref name="scheduledAt"/>: inserts its row with <paramref name="status"/> and returns
    /// its id, or null when a row for that instant exists already (another node or an earlier
    /// attempt claimed it). The unique index decides, so two concurrent claims cannot both win.
    /// </summary>
    public async Task<long?> TryClaimFireAsync(string policyName, RunKind kind, DateTimeOffset scheduledAt, FireStatus status, string? detail, CancellationToken cancellationToken)
    {
        var due = Normalize(scheduledAt);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = new ScheduledFireEntity
            {
                PolicyName = policyName, Kind = kind, ScheduledAt = due, RecordedAt = Now, Status = status, Detail = Truncate(detail, 1000),
            };
            db.ScheduledFires.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return row.Id;
            }
            catch (DbUpdateException)
            {
                // The unique index refused it: someone claimed the instant first. Any other failure is rethrown.
                if (await FireExistsAsync(policyName, kind, due, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                throw;
            }
        }
    }

    /// <summary>Sets a fire's status (and job id / detail when given).</summary>
    public async Task UpdateFireAsync(long fireId, FireStatus status, string? jobId, string? detail, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await db.ScheduledFires.SingleOrDefaultAsync(f => f.Id == fireId, cancellationToken).ConfigureAwait(false)
                ?? throw new CatalogException($"scheduled fire {fireId} is not in the catalog");
            row.Status = status;
            row.JobId = jobId ?? row.JobId;
            row.Detail = Truncate(detail, 1000) ?? row.Detail;
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fires (of one policy, or all; optionally only in one status), oldest first.</summary>
    public async Task<IReadOnlyList<ScheduledFireRecord>> ListFiresAsync(string? policyName, FireStatus? status, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.ScheduledFires.AsNoTracking();
            if (policyName is not null)
            {
                query = query.Where(f => f.PolicyName == policyName);
            }

            if (status is not null)
            {
                query = query.Where(f => f.Status == status);
            }

            return await query.OrderBy(f => f.ScheduledAt).ThenBy(f => f.Id)
                .Select(f => new ScheduledFireRecord(f.Id, f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One fire by id, or null.</summary>
    public async Task<ScheduledFireRecord?> GetFireAsync(long fireId, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.AsNoTracking().Where(f => f.Id == fireId)
                .Select(f => new ScheduledFireRecord(f.Id, f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail))
                .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When the newest recorded fire of the policy's trigger was due, or null.</summary>
    public async Task<DateTimeOffset?> GetLastFireAsync(string policyName, RunKind kind, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.Where(f => f.PolicyName == policyName && f.Kind == kind)
                .MaxAsync(f => (DateTimeOffset?)f.ScheduledAt, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> FireExistsAsync(string policyName, RunKind kind, DateTimeOffset due, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.ScheduledFires.AnyAsync(f => f.PolicyName == policyName && f.Kind == kind && f.ScheduledAt == due, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? Truncate(string? text, int max) => text is not null && text.Length > max ? text[..max] : text;
}
