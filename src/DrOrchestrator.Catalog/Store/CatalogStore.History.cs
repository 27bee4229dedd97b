using System.Text.Json;
using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

// The catalog's history as a stream of JSON lines, for the orchestrator's own backup and
// `catalog rebuild` (docs/decisions.md §58). Rows stream out of the database in id order and are
// imported in batches, so neither side holds the whole history in memory as entities.
public sealed partial class CatalogStore
{
    private const int ImportBatch = 1000;

    /// <summary>
    /// Writes every policy (deleted ones too), target, snapshot with its presence per target,
    /// finished run with its errors, drill result with its mismatches, drill file schedule, policy
    /// change and scheduled fire as one JSON line each. Runs still running are left out: they are
    /// not history yet (their snapshots, if they commit, are found in the repository).
    /// </summary>
    public async Task ExportHistoryAsync(TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            await WriteAllAsync(output, HistoryKinds.Target, db.Targets.AsNoTracking().OrderBy(t => t.Id)
                .Select(t => new TargetRow(t.Id, t.Name, t.Type, t.Description, t.UpdatedAt)), cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.Policy, db.Policies.AsNoTracking().OrderBy(p => p.Id)
                .Select(p => new PolicyRow(p.Id, p.Name, p.Description, p.Yaml, p.YamlSha256, p.RpoSeconds, p.RtoSeconds, p.MinPrimaries, p.CreatedAt, p.AppliedAt, p.DeletedAt)),
                cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.Snapshot, db.Snapshots.AsNoTracking().OrderBy(s => s.Id)
                .Select(s => new SnapshotRow(
                    s.Id, s.SnapshotId, s.PolicyId, s.Time, s.RecoveryPoint, s.Hostname, s.TreeId, s.ParentSnapshotId, s.FileCount, s.DirCount,
                    s.TotalBytes, s.BytesNew, s.BytesStored, s.Kind,
                    s.Presence.OrderBy(p => p.TargetId).Select(p => new PresenceRow(p.TargetId, p.Status, p.CompleteAt, p.LastVerifiedAt)).ToList())),
                cancellationToken).ConfigureAwait(false);
            var finished = db.Runs.AsNoTracking().Where(r => r.Status != RunStatus.Running);
            await WriteAllAsync(output, HistoryKinds.Run, finished.OrderBy(r => r.Id)
                .Select(r => new RunRow(
                    r.Id, r.PolicyId, r.TargetId, r.Kind, r.Status, r.StartedAt, r.FinishedAt, r.BytesRead, r.BytesNew, r.BytesStored, r.Files,
                    r.ErrorMessage, r.WarningsCount, r.SnapshotId, r.Host, r.ProcessId, r.ProcessStartedAt, r.HeartbeatAt,
                    r.Errors.OrderBy(e => e.Id).Select(e => new RunErrorRow(e.Path, e.Message, e.IsWarning)).ToList())),
                cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.Drill, db.DrillResults.AsNoTracking().Where(d => d.Run!.Status != RunStatus.Running).OrderBy(d => d.Id)
                .Select(d => new DrillRow(
                    d.RunId, d.SnapshotId, d.Outcome, d.FilesVerified, d.BytesRestored, d.Mismatches, d.RtoAchievedSeconds, d.RtoTargetSeconds,
                    d.MismatchDetails.OrderBy(m => m.Id).Select(m => new DrillMismatchRow(m.Path, m.Expected, m.Actual, m.Reason)).ToList())),
                cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.DrillFile, db.DrillFileVerifications.AsNoTracking().OrderBy(f => f.Id)
                .Select(f => new DrillFileRow(f.PolicyId, f.TargetId, f.Path, f.FirstSeenAt, f.VerifiedAt)), cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.PolicyChange, db.PolicyChanges.AsNoTracking().OrderBy(c => c.Id)
                .Select(c => new PolicyChangeRow(c.PolicyName, c.Kind, c.ChangedAt, c.ChangedBy, c.YamlBefore, c.YamlAfter)), cancellationToken).ConfigureAwait(false);
            await WriteAllAsync(output, HistoryKinds.Fire, db.ScheduledFires.AsNoTracking().OrderBy(f => f.Id)
                .Select(f => new FireRow(f.PolicyName, f.Kind, f.ScheduledAt, f.RecordedAt, f.Status, f.JobId, f.Detail)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What the catalog holds that a rebuild would overwrite: (policies, snapshots, runs). All zero
    /// for a new catalog (targets alone do not count: configuration registers them).
    /// </summary>
    public async Task<(int Policies, int Snapshots, int Runs)> CountHistoryAsync(CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return (await db.Policies.CountAsync(cancellationToken).ConfigureAwait(false),
                await db.Snapshots.CountAsync(cancellationToken).ConfigureAwait(false),
                await db.Runs.CountAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Imports an export of <see cref="ExportHistoryAsync"/> into this catalog, which must hold no
    /// policy, snapshot or run (<see cref="CountHistoryAsync"/>; the caller checks, with a message
    /// for its user). Rows get new ids; references are mapped. Targets already registered are
    /// kept and matched by name. A line of an unknown kind (a newer version's) is skipped and counted.
    /// </summary>
    /// <exception cref="CatalogException">A line is not valid JSON or refers to a row the export did not contain.</exception>
    public async Task<CatalogHistoryCounts> ImportHistoryAsync(TextReader input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var import = new HistoryImport();
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            // One transaction: an import that fails half-way leaves the catalog as empty as it was.
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var rollback = transaction.ConfigureAwait(false);
            foreach (var target in await db.Targets.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                import.ExistingTargets[target.Name] = target.Id;
            }

            var lineNumber = 0;
            while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                HistoryLine parsed;
                try
                {
                    parsed = JsonSerializer.Deserialize<HistoryLine>(line, HistoryKinds.Json) ?? throw new JsonException("null line");
                    await import.AddAsync(db, parsed, cancellationToken).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    throw new CatalogException($"catalog history line {lineNumber}: not a valid row: {ex.Message}", ex);
                }
                catch (KeyNotFoundException ex)
                {
                    throw new CatalogException($"catalog history line {lineNumber}: {ex.Message}", ex);
                }
            }

            await import.SaveAsync(db, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return import.Counts;
        }
    }

    /// <summary>
    /// Records snapshots found in <paramref name="targetName"/>'s repository as present there:
    /// a snapshot the catalog lacks gets its row (under its policy; a policy the catalog does not
    /// know gets a deleted placeholder row, which <c>policy apply</c> of its file brings back with
    /// the snapshots attached), one it has gets its presence there. Batched; returns the number of
    /// snapshot rows added.
    /// </summary>
    public async Task<int> AddScannedSnapshotsAsync(string targetName, IReadOnlyList<ScannedSnapshot> snapshots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var added = 0;
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var targetId = (await RequireTargetAsync(db, targetName, cancellationToken).ConfigureAwait(false)).Id;
            var policies = await db.Policies.ToDictionaryAsync(p => p.Name, p => p.Id, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
            foreach (var name in snapshots.Select(s => s.PolicyName).Distinct(StringComparer.Ordinal).Where(n => !policies.ContainsKey(n)))
            {
                var placeholder = new PolicyEntity
                {
                    Name = name,
                    Yaml = $"# policy {name} was not in the system record: apply its file again\n",
                    YamlSha256 = new string('0', 64),
                    CreatedAt = Now,
                    AppliedAt = Now,
                    DeletedAt = Now,
                };
                db.Policies.Add(placeholder);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                policies[name] = placeholder.Id;
            }

            foreach (var batch in snapshots.Chunk(ImportBatch))
            {
                var ids = batch.Select(s => s.Figures.SnapshotId).ToArray();
                var existing = await db.Snapshots.Include(s => s.Presence).Where(s => ids.Contains(s.SnapshotId))
                    .ToDictionaryAsync(s => s.SnapshotId, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
                foreach (var scanned in batch)
                {
                    if (!existing.TryGetValue(scanned.Figures.SnapshotId, out var row))
                    {
                        row = ToEntity(scanned.Figures, policies[scanned.PolicyName]);
                        db.Snapshots.Add(row);
                        existing[row.SnapshotId] = row;
                        added++;
                    }

                    var presence = row.Presence.SingleOrDefault(p => p.TargetId == targetId);
                    if (presence is null)
                    {
                        row.Presence.Add(new SnapshotPresenceEntity { TargetId = targetId, Status = PresenceStatus.Present, CompleteAt = Normalize(scanned.CompleteAt) });
                    }
                    else if (presence.Status != PresenceStatus.Present)
                    {
                        presence.Status = PresenceStatus.Present;
                        presence.CompleteAt = Normalize(scanned.CompleteAt);
                    }
                }

                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                db.ChangeTracker.Clear();
            }
        }

        return added;
    }

    /// <summary>When the newest succeeded run of <paramref name="kind"/> on <paramref name="targetName"/> started, or null.</summary>
    /// <remarks>Plain ADO (§73): every backup asks it (is the system record due?) after its data is stored.</remarks>
    public async Task<DateTimeOffset?> GetLastSucceededRunAsync(RunKind kind, string targetName, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return connections.ScalarTime(await CatalogConnections.ScalarAsync(
                connection,
                null,
                """
                SELECT MAX(r."StartedAt") FROM "Runs" r JOIN "Targets" t ON t."Id" = r."TargetId"
                WHERE r."Kind" = @kind AND t."Name" = @target AND r."Status" = @succeeded
                """,
                cancellationToken,
                ("@kind", CatalogConnections.Name(kind)),
                ("@target", targetName),
                ("@succeeded", CatalogConnections.Name(RunStatus.Succeeded))).ConfigureAwait(false));
        }
    }

    private static async Task WriteAllAsync<T>(TextWriter output, string kind, IQueryable<T> rows, CancellationToken cancellationToken)
    {
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { t = kind, v = row }, HistoryKinds.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One import's id maps, pending rows and counts.</summary>
    private sealed class HistoryImport
    {
        private readonly Dictionary<long, long> _targets = [];
        private readonly Dictionary<long, long> _policies = [];
        private readonly Dictionary<long, long> _runs = [];
        private readonly List<(long OldId, RunEntity Row)> _pendingRuns = [];
        private readonly List<(long OldId, PolicyEntity Row)> _pendingPolicies = [];
        private readonly List<(long OldId, TargetEntity Row)> _pendingTargets = [];
        private int _pending;
        private int _policyCount;
        private int _targetsAdded;
        private int _snapshots;
        private int _runCount;
        private int _drills;
        private int _changes;
        private int _fires;
        private int _skipped;

        public Dictionary<string, long> ExistingTargets { get; } = new(StringComparer.Ordinal);

        public CatalogHistoryCounts Counts => new(_policyCount, _targetsAdded, _snapshots, _runCount, _drills, _changes, _fires) { Skipped = _skipped };

        public async Task AddAsync(CatalogDbContext db, HistoryLine line, CancellationToken cancellationToken)
        {
            switch (line.T)
            {
                case HistoryKinds.Target:
                    AddTarget(db, Read<TargetRow>(line));
                    break;
                case HistoryKinds.Policy:
                    var p = Read<PolicyRow>(line);
                    var policy = new PolicyEntity
                    {
                        Name = p.Name, Description = p.Description, Yaml = p.Yaml, YamlSha256 = p.YamlSha256, RpoSeconds = p.RpoSeconds, RtoSeconds = p.RtoSeconds,
                        MinPrimaries = p.MinPrimaries, CreatedAt = Normalize(p.CreatedAt), AppliedAt = Normalize(p.AppliedAt), DeletedAt = Normalize(p.DeletedAt),
                    };
                    db.Policies.Add(policy);
                    _pendingPolicies.Add((p.Id, policy));
                    _policyCount++;
                    break;
                case HistoryKinds.Snapshot:
                    await ResolveAsync(db, cancellationToken).ConfigureAwait(false);
                    AddSnapshot(db, Read<SnapshotRow>(line));
                    break;
                case HistoryKinds.Run:
                    await ResolveAsync(db, cancellationToken).ConfigureAwait(false);
                    AddRun(db, Read<RunRow>(line));
                    break;
                case HistoryKinds.Drill:
                    await ResolveAsync(db, cancellationToken).ConfigureAwait(false);
                    AddDrill(db, Read<DrillRow>(line));
                    break;
                case HistoryKinds.DrillFile:
                    await ResolveAsync(db, cancellationToken).ConfigureAwait(false);
                    var f = Read<DrillFileRow>(line);
                    db.DrillFileVerifications.Add(new DrillFileVerificationEntity
                    {
                        PolicyId = Map(_policies, f.PolicyId, "policy"), TargetId = Map(_targets, f.TargetId, "target"), Path = f.Path,
                        FirstSeenAt = Normalize(f.FirstSeenAt), VerifiedAt = Normalize(f.VerifiedAt),
                    });
                    break;
                case HistoryKinds.PolicyChange:
                    var c = Read<PolicyChangeRow>(line);
                    db.PolicyChanges.Add(new PolicyChangeEntity
                    {
                        PolicyName = c.PolicyName, Kind = c.Kind, ChangedAt = Normalize(c.ChangedAt), ChangedBy = c.ChangedBy, YamlBefore = c.YamlBefore, YamlAfter = c.YamlAfter,
                    });
                    _changes++;
                    break;
                case HistoryKinds.Fire:
                    var fire = Read<FireRow>(line);
                    db.ScheduledFires.Add(new ScheduledFireEntity
                    {
                        PolicyName = fire.PolicyName, Kind = fire.Kind, ScheduledAt = Normalize(fire.ScheduledAt), RecordedAt = Normalize(fire.RecordedAt),
                        Status = fire.Status, JobId = fire.JobId, Detail = fire.Detail,
                    });
                    _fires++;
                    break;
                default:
                    _skipped++;
                    return;
            }

            if (++_pending >= ImportBatch)
            {
                await SaveAsync(db, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task SaveAsync(CatalogDbContext db, CancellationToken cancellationToken)
        {
            await ResolveAsync(db, cancellationToken).ConfigureAwait(false);
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (oldId, row) in _pendingRuns)
            {
                _runs[oldId] = row.Id;
            }

            _pendingRuns.Clear();
            db.ChangeTracker.Clear();
            _pending = 0;
        }

        private void AddTarget(CatalogDbContext db, TargetRow t)
        {
            if (ExistingTargets.TryGetValue(t.Name, out var id))
            {
                _targets[t.Id] = id;
                return;
            }

            var row = new TargetEntity { Name = t.Name, Type = t.Type, Description = t.Description, UpdatedAt = Normalize(t.UpdatedAt) };
            db.Targets.Add(row);
            _pendingTargets.Add((t.Id, row));
            _targetsAdded++;
        }

        private void AddSnapshot(CatalogDbContext db, SnapshotRow s)
        {
            db.Snapshots.Add(new SnapshotEntity
            {
                SnapshotId = s.SnapshotId, PolicyId = Map(_policies, s.PolicyId, "policy"), Time = Normalize(s.Time), RecoveryPoint = Normalize(s.RecoveryPoint),
                Hostname = s.Hostname, TreeId = s.TreeId, ParentSnapshotId = s.ParentSnapshotId, FileCount = s.FileCount, DirCount = s.DirCount,
                TotalBytes = s.TotalBytes, BytesNew = s.BytesNew, BytesStored = s.BytesStored, Kind = s.Kind,
                Presence =
                [
                    .. s.Presence.Select(p => new SnapshotPresenceEntity
                    {
                        TargetId = Map(_targets, p.TargetId, "target"), Status = p.Status, CompleteAt = Normalize(p.CompleteAt), LastVerifiedAt = Normalize(p.LastVerifiedAt),
                    }),
                ],
            });
            _snapshots++;
        }

        private void AddRun(CatalogDbContext db, RunRow r)
        {
            var run = new RunEntity
            {
                PolicyId = r.PolicyId is { } policy ? Map(_policies, policy, "policy") : null,
                TargetId = r.TargetId is { } target ? Map(_targets, target, "target") : null,
                Kind = r.Kind, Status = r.Status, StartedAt = Normalize(r.StartedAt), FinishedAt = Normalize(r.FinishedAt), BytesRead = r.BytesRead,
                BytesNew = r.BytesNew, BytesStored = r.BytesStored, Files = r.Files, ErrorMessage = r.ErrorMessage, WarningsCount = r.WarningsCount,
                SnapshotId = r.SnapshotId, Host = r.Host, ProcessId = r.ProcessId, ProcessStartedAt = Normalize(r.ProcessStartedAt), HeartbeatAt = Normalize(r.HeartbeatAt),
                Errors = [.. r.Errors.Select(e => new RunErrorEntity { Path = e.Path, Message = e.Message, IsWarning = e.IsWarning })],
            };
            db.Runs.Add(run);
            _pendingRuns.Add((r.Id, run));
            _runCount++;
        }

        private void AddDrill(CatalogDbContext db, DrillRow d)
        {
            var runId = _runs.TryGetValue(d.RunId, out var saved) ? saved : (long?)null;
            var pendingRun = runId is null ? _pendingRuns.FirstOrDefault(p => p.OldId == d.RunId).Row : null;
            if (runId is null && pendingRun is null)
            {
                throw new KeyNotFoundException($"drill of run {d.RunId}, which the history does not hold");
            }

            var drill = new DrillResultEntity
            {
                SnapshotId = d.SnapshotId, Outcome = d.Outcome, FilesVerified = d.FilesVerified, BytesRestored = d.BytesRestored, Mismatches = d.Mismatches,
                RtoAchievedSeconds = d.RtoAchievedSeconds, RtoTargetSeconds = d.RtoTargetSeconds,
                MismatchDetails = [.. d.MismatchDetails.Select(m => new DrillMismatchEntity { Path = m.Path, Expected = m.Expected, Actual = m.Actual, Reason = m.Reason })],
            };
            if (runId is { } id)
            {
                drill.RunId = id;
            }
            else
            {
                drill.Run = pendingRun;
            }

            db.DrillResults.Add(drill);
            _drills++;
        }

        /// <summary>Policies and targets are few and referenced by everything after them: saved as soon as other rows need their ids.</summary>
        private async Task ResolveAsync(CatalogDbContext db, CancellationToken cancellationToken)
        {
            if (_pendingPolicies.Count == 0 && _pendingTargets.Count == 0)
            {
                return;
            }

            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (oldId, row) in _pendingPolicies)
            {
                _policies[oldId] = row.Id;
            }

            foreach (var (oldId, row) in _pendingTargets)
            {
                _targets[oldId] = row.Id;
            }

            _pendingPolicies.Clear();
            _pendingTargets.Clear();
        }

        private static long Map(Dictionary<long, long> map, long oldId, string what) =>
            map.TryGetValue(oldId, out var id) ? id : throw new KeyNotFoundException($"refers to {what} {oldId}, which the history does not hold");

        private static T Read<T>(HistoryLine line) =>
            line.V.Deserialize<T>(HistoryKinds.Json) ?? throw new JsonException($"empty {line.T} row");
    }
}
