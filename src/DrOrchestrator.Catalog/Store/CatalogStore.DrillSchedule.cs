using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

/// <summary>When a drill first saw a file and when one last verified it in full (null: never).</summary>
public sealed record DrillFileState(DateTimeOffset FirstSeenAt, DateTimeOffset? VerifiedAt);

public sealed partial class CatalogStore
{
    /// <summary>The rolling drill schedule of a policy on a target: every file drills have seen, by snapshot path.</summary>
    public async Task<IReadOnlyDictionary<string, DrillFileState>> GetDrillFileStatesAsync(string policyName, string targetName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.DrillFileVerifications.AsNoTracking()
                .Where(f => f.Policy!.Name == policyName && f.Target!.Name == targetName)
                .Select(f => new { f.Path, f.FirstSeenAt, f.VerifiedAt })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var states = new Dictionary<string, DrillFileState>(rows.Count, StringComparer.Ordinal);
            foreach (var row in rows)
            {
                states[row.Path] = new DrillFileState(row.FirstSeenAt, row.VerifiedAt);
            }

            return states;
        }
    }

    /// <summary>
    /// Updates the rolling schedule after a drill of <paramref name="policyName"/> on
    /// <paramref name="targetName"/>: <paramref name="files"/> is every file of the snapshot drilled
    /// (new ones are added as first seen now; files no longer there are dropped), and
    /// <paramref name="verified"/> the ones whose SHA-256 matched now.
    /// </summary>
    public async Task RecordDrillFilesAsync(
        string policyName, string targetName, IReadOnlyCollection<string> files, IReadOnlyCollection<string> verified, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(verified);
        var when = Normalize(at);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var policy = await RequirePolicyAsync(db, policyName, cancellationToken).ConfigureAwait(false);
            var target = await RequireTargetAsync(db, targetName, cancellationToken).ConfigureAwait(false);
            var rows = await db.DrillFileVerifications.Where(f => f.PolicyId == policy.Id && f.TargetId == target.Id)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var existing = new Dictionary<string, DrillFileVerificationEntity>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                if (!existing.TryAdd(row.Path, row))
                {
                    db.DrillFileVerifications.Remove(row); // a duplicate from two concurrent drills: keep one
                }
            }

            var current = new HashSet<string>(files, StringComparer.Ordinal);
            var verifiedNow = new HashSet<string>(verified, StringComparer.Ordinal);
            foreach (var (path, row) in existing)
            {
                if (!current.Contains(path))
                {
                    db.DrillFileVerifications.Remove(row);
                }
                else if (verifiedNow.Contains(path))
                {
                    row.VerifiedAt = when;
                }
            }

            foreach (var path in current.Where(p => !existing.ContainsKey(p)))
            {
                db.DrillFileVerifications.Add(new DrillFileVerificationEntity
                {
                    PolicyId = policy.Id,
                    TargetId = target.Id,
                    Path = Truncate(path)!,
                    FirstSeenAt = when,
                    VerifiedAt = verifiedNow.Contains(path) ? when : null,
                });
            }

            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
