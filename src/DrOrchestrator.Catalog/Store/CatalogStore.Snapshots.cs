using System.Globalization;
using DrOrchestrator.Catalog.Entities;
using DrOrchestrator.Core.Policies;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>
    /// Records that <paramref name="snapshot"/> of <paramref name="policyName"/> became complete on
    /// <paramref name="targetName"/> at <paramref name="completeAt"/>. Idempotent: recording the
    /// same snapshot for a second target (a replica copy) only adds its presence.
    /// </summary>
    /// <remarks>
    /// Plain ADO, as the run statements (docs/decisions.md §68, §73): every backup writes this row,
    /// and through EF it cost the backup EF's first context, a query compilation and the update
    /// pipeline (~950 JIT-compiled methods, ~0.3 s after the data was stored). The row is the one
    /// EF wrote (<c>Plain_statements_write_the_same_snapshot_rows_as_EF_did</c>).
    /// </remarks>
    public async Task RecordSnapshotAsync(string policyName, SnapshotFigures snapshot, string targetName, DateTimeOffset completeAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            long policyId = await RequirePolicyIdAsync(connection, policyName, cancellationToken).ConfigureAwait(false);
            long targetId = await RequireTargetIdAsync(connection, targetName, cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                long rowId;
                var command = CatalogConnections.Command(
                    connection, transaction, """SELECT "Id", "PolicyId" FROM "Snapshots" WHERE "SnapshotId" = @id""", ("@id", snapshot.SnapshotId));
                (long Id, long PolicyId)? existing = null;
                await using (command.ConfigureAwait(false))
                {
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            existing = (reader.GetInt64(0), reader.GetInt64(1));
                        }
                    }
                }

                if (existing is { } row)
                {
                    if (row.PolicyId != policyId)
                    {
                        throw new CatalogException($"snapshot '{snapshot.SnapshotId}' is already recorded for another policy than '{policyName}'");
                    }

                    rowId = row.Id;
                }
                else
                {
                    rowId = Convert.ToInt64(
                        await CatalogConnections.ScalarAsync(
                            connection,
                            transaction,
                            """
                            INSERT INTO "Snapshots" ("SnapshotId", "PolicyId", "Time", "RecoveryPoint", "Hostname", "TreeId", "ParentSnapshotId",
                                "FileCount", "DirCount", "TotalBytes", "BytesNew", "BytesStored", "Kind")
                            VALUES (@id, @policy, @time, @recoveryPoint, @hostname, @tree, @parent, @files, @dirs, @total, @new, @stored, @kind)
                            RETURNING "Id"
                            """,
                            cancellationToken,
                            ("@id", snapshot.SnapshotId),
                            ("@policy", policyId),
                            ("@time", connections.Time(snapshot.Time)),
                            ("@recoveryPoint", connections.Time(snapshot.RecoveryPoint)),
                            ("@hostname", snapshot.Hostname),
                            ("@tree", snapshot.TreeId),
                            ("@parent", snapshot.ParentSnapshotId),
                            ("@files", snapshot.FileCount),
                            ("@dirs", snapshot.DirCount),
                            ("@total", snapshot.TotalBytes),
                            ("@new", snapshot.BytesNew),
                            ("@stored", snapshot.BytesStored),
                            ("@kind", CatalogConnections.Name(snapshot.Kind))).ConfigureAwait(false),
                        CultureInfo.InvariantCulture);
                }

                (string, object?)[] presence =
                [
                    ("@row", rowId),
                    ("@target", targetId),
                    ("@status", CatalogConnections.Name(PresenceStatus.Present)),
                    ("@complete", connections.Time(completeAt)),
                ];
                if (await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        """UPDATE "SnapshotPresence" SET "Status" = @status, "CompleteAt" = @complete WHERE "SnapshotRowId" = @row AND "TargetId" = @target""",
                        cancellationToken,
                        presence).ConfigureAwait(false) == 0)
                {
                    await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        """
                        INSERT INTO "SnapshotPresence" ("SnapshotRowId", "TargetId", "Status", "CompleteAt", "LastVerifiedAt")
                        VALUES (@row, @target, @status, @complete, NULL)
                        """,
                        cancellationToken,
                        presence).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sets a snapshot's status on a target (e.g. copying → present, present → missing after a
    /// check). A null <paramref name="completeAt"/> or <paramref name="lastVerifiedAt"/> keeps the
    /// stored value.
    /// </summary>
    public async Task SetPresenceAsync(string snapshotId, string targetName, PresenceStatus status, DateTimeOffset? completeAt, DateTimeOffset? lastVerifiedAt, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var snapshot = await RequireSnapshotAsync(db, snapshotId, cancellationToken).ConfigureAwait(false);
            var target = await RequireTargetAsync(db, targetName, cancellationToken).ConfigureAwait(false);
            var presence = await db.SnapshotPresence
                .SingleOrDefaultAsync(p => p.SnapshotRowId == snapshot.Id && p.TargetId == target.Id, cancellationToken).ConfigureAwait(false);
            if (presence is null)
            {
                presence = new SnapshotPresenceEntity { SnapshotRowId = snapshot.Id, TargetId = target.Id };
                db.SnapshotPresence.Add(presence);
            }

            presence.Status = status;
            presence.CompleteAt = Normalize(completeAt) ?? presence.CompleteAt;
            presence.LastVerifiedAt = Normalize(lastVerifiedAt) ?? presence.LastVerifiedAt;
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a copy to <paramref name="targetName"/>: every snapshot of <paramref name="policyName"/>
    /// whose id is in <paramref name="presentSnapshotIds"/> becomes present there (stamped
    /// <paramref name="completeAt"/> when it was not present before; a present row keeps its time),
    /// every other snapshot without a row there gets a "missing" row, and existing rows of absent
    /// snapshots are left as they are. Set-based: one INSERT…SELECT and one UPDATE in a
    /// transaction, however many snapshots the policy has, instead of a round trip per snapshot.
    /// </summary>
    public async Task RecordCopyPresenceAsync(
        string policyName, string targetName, IReadOnlyCollection<string> presentSnapshotIds, DateTimeOffset completeAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presentSnapshotIds);
        DateTimeOffset? stamp = Normalize(completeAt);
        var present = presentSnapshotIds.Distinct(StringComparer.Ordinal).ToArray();
        var missing = PresenceStatus.Missing.ToString().ToLowerInvariant();
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var policyId = (await RequirePolicyAsync(db, policyName, cancellationToken).ConfigureAwait(false)).Id;
            var targetId = (await RequireTargetAsync(db, targetName, cancellationToken).ConfigureAwait(false)).Id;
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Rows first, all "missing" (EF has no INSERT…SELECT; this SQL is the same on SQLite
                // and PostgreSQL): the UPDATE below then turns the present ones, old or new, present.
                await db.Database.ExecuteSqlAsync(
                    $"""
                    INSERT INTO "SnapshotPresence" ("SnapshotRowId", "TargetId", "Status")
                    SELECT s."Id", {targetId}, {missing} FROM "Snapshots" AS s
                    WHERE s."PolicyId" = {policyId}
                      AND NOT EXISTS (SELECT 1 FROM "SnapshotPresence" AS p WHERE p."SnapshotRowId" = s."Id" AND p."TargetId" = {targetId})
                    """,
                    cancellationToken).ConfigureAwait(false);
                await db.SnapshotPresence
                    .Where(p => p.TargetId == targetId && p.Snapshot!.PolicyId == policyId
                        && p.Status != PresenceStatus.Present && present.Contains(p.Snapshot.SnapshotId))
                    .ExecuteUpdateAsync(
                        set => set.SetProperty(p => p.Status, PresenceStatus.Present).SetProperty(p => p.CompleteAt, stamp),
                        cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Prune forgot <paramref name="snapshotIds"/> on <paramref name="targetName"/>: their presence
    /// rows there go, and a snapshot left present (or being copied) nowhere loses its row, so no
    /// row points at data that is gone. Called before the repository deletes anything; runs and
    /// drill results keep naming the snapshot id as history. Returns the snapshot rows deleted.
    /// </summary>
    public async Task<int> RemoveSnapshotPresenceAsync(string targetName, IReadOnlyCollection<string> snapshotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshotIds);
        var deleted = 0;
        // Plain ADO: prune's only catalog work besides its run, so prune never builds EF Core (docs/decisions.md §68).
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var targetId = await RequireTargetIdAsync(connection, targetName, cancellationToken).ConfigureAwait(false);
            foreach (var batch in snapshotIds.Distinct(StringComparer.Ordinal).Chunk(500))
            {
                var names = string.Join(", ", batch.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"@s{i}")));
                var parameters = batch.Select((id, i) => (string.Create(CultureInfo.InvariantCulture, $"@s{i}"), (object?)id)).ToList();
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        $"""
                        DELETE FROM "SnapshotPresence" WHERE "TargetId" = @target
                            AND "SnapshotRowId" IN (SELECT s."Id" FROM "Snapshots" AS s WHERE s."SnapshotId" IN ({names}))
                        """,
                        cancellationToken,
                        [("@target", targetId), .. parameters]).ConfigureAwait(false);
                    // A snapshot present (or being copied) nowhere else: its remaining rows say "missing" only.
                    await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        $"""
                        DELETE FROM "SnapshotPresence" WHERE "SnapshotRowId" IN (
                            SELECT s."Id" FROM "Snapshots" AS s WHERE s."SnapshotId" IN ({names})
                                AND NOT EXISTS (SELECT 1 FROM "SnapshotPresence" AS p WHERE p."SnapshotRowId" = s."Id" AND p."Status" <> 'missing'))
                        """,
                        cancellationToken,
                        [.. parameters]).ConfigureAwait(false);
                    deleted += await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        $"""
                        DELETE FROM "Snapshots" WHERE "SnapshotId" IN ({names})
                            AND NOT EXISTS (SELECT 1 FROM "SnapshotPresence" AS p WHERE p."SnapshotRowId" = "Snapshots"."Id")
                        """,
                        cancellationToken,
                        [.. parameters]).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return deleted;
    }

    /// <summary>Snapshots (of one policy, or all), newest recovery point first, with presence per target.</summary>
    public async Task<IReadOnlyList<CatalogSnapshot>> ListSnapshotsAsync(string? policyName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.Snapshots.AsNoTracking().Include(s => s.Policy).Include(s => s.Presence).ThenInclude(p => p.Target).AsQueryable();
            if (policyName is not null)
            {
                query = query.Where(s => s.Policy!.Name == policyName);
            }

            var rows = await query.OrderByDescending(s => s.RecoveryPoint).ThenByDescending(s => s.Id)
                .AsSplitQuery().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(ToRecord)];
        }
    }

    /// <summary>
    /// The id of the newest snapshot (by recovery point) of <paramref name="policyName"/> present on
    /// <paramref name="targetName"/>, or null: a backup's parent, without listing the repository.
    /// </summary>
    /// <remarks>Plain ADO (§73): it runs before every backup's first byte, where EF's first query cost ~1 s.</remarks>
    public async Task<string?> GetNewestSnapshotIdAsync(string policyName, string targetName, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return (string?)await CatalogConnections.ScalarAsync(
                connection,
                null,
                """
                SELECT s."SnapshotId" FROM "SnapshotPresence" p
                JOIN "Snapshots" s ON s."Id" = p."SnapshotRowId"
                JOIN "Targets" t ON t."Id" = p."TargetId"
                JOIN "Policies" o ON o."Id" = s."PolicyId"
                WHERE t."Name" = @target AND o."Name" = @policy AND p."Status" = @present
                ORDER BY s."RecoveryPoint" DESC, s."Id" DESC
                LIMIT 1
                """,
                cancellationToken,
                ("@target", targetName),
                ("@policy", policyName),
                ("@present", CatalogConnections.Name(PresenceStatus.Present))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Recovery points of <paramref name="policyName"/> present on <paramref name="targetName"/> with
    /// their completion times — the input of <see cref="RpoCalculator"/>.
    /// </summary>
    public async Task<IReadOnlyList<CompletedRecoveryPoint>> GetRecoveryPointsAsync(string policyName, string targetName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.SnapshotPresence.AsNoTracking()
                .Where(p => p.Target!.Name == targetName && p.Snapshot!.Policy!.Name == policyName
                    && p.Status == PresenceStatus.Present && p.CompleteAt != null)
                .Select(p => new { p.Snapshot!.RecoveryPoint, p.CompleteAt })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => new CompletedRecoveryPoint(r.RecoveryPoint, r.CompleteAt!.Value)).OrderBy(p => p.RecoveryPoint)];
        }
    }

    /// <summary>
    /// <see cref="GetRecoveryPointsAsync(string, string, CancellationToken)"/> for every policy and
    /// target at once (or every target of <paramref name="policyName"/>), keyed by (policy, target):
    /// one query where a monitoring pass over 1,000 policies made one per policy and target.
    /// </summary>
    public async Task<IReadOnlyDictionary<(string Policy, string Target), IReadOnlyList<CompletedRecoveryPoint>>> GetRecoveryPointsAsync(
        string? policyName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.SnapshotPresence.AsNoTracking().Where(p => p.Status == PresenceStatus.Present && p.CompleteAt != null);
            if (policyName is not null)
            {
                query = query.Where(p => p.Snapshot!.Policy!.Name == policyName);
            }

            var rows = await query
                .Select(p => new { Policy = p.Snapshot!.Policy!.Name, Target = p.Target!.Name, p.Snapshot.RecoveryPoint, p.CompleteAt })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return rows.GroupBy(r => (r.Policy, r.Target)).ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<CompletedRecoveryPoint>)[.. g.Select(r => new CompletedRecoveryPoint(r.RecoveryPoint, r.CompleteAt!.Value)).OrderBy(p => p.RecoveryPoint)]);
        }
    }

    private static SnapshotEntity ToEntity(SnapshotFigures s, long policyId) => new()
    {
        SnapshotId = s.SnapshotId,
        PolicyId = policyId,
        Kind = s.Kind,
        Time = Normalize(s.Time),
        RecoveryPoint = Normalize(s.RecoveryPoint),
        Hostname = s.Hostname,
        TreeId = s.TreeId,
        ParentSnapshotId = s.ParentSnapshotId,
        FileCount = s.FileCount,
        DirCount = s.DirCount,
        TotalBytes = s.TotalBytes,
        BytesNew = s.BytesNew,
        BytesStored = s.BytesStored,
    };

    private static CatalogSnapshot ToRecord(SnapshotEntity s) => new(
        s.Policy!.Name,
        new SnapshotFigures(s.SnapshotId, s.Kind, s.Time, s.RecoveryPoint, s.Hostname, s.TreeId, s.ParentSnapshotId,
            s.FileCount, s.DirCount, s.TotalBytes, s.BytesNew, s.BytesStored),
        [.. s.Presence.OrderBy(p => p.Target!.Name, StringComparer.Ordinal)
            .Select(p => new SnapshotPresenceInfo(p.Target!.Name, p.Status, p.CompleteAt, p.LastVerifiedAt))]);
}
