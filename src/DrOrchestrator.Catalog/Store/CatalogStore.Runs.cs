using System.Data.Common;
using System.Globalization;
using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;

namespace DrOrchestrator.Catalog;

public sealed partial class CatalogStore
{
    /// <summary>Records the start of a run (status running) and returns its id.</summary>
    public Task<long> StartRunAsync(string? policyName, RunKind kind, CancellationToken cancellationToken) =>
        StartRunAsync(policyName, kind, targetName: null, cancellationToken);

    /// <summary>
    /// Records the start of a run on one target (copy, check) and returns its id. The row names
    /// this process (<see cref="RunProcess.Current"/>) and its heartbeat is kept fresh until the run
    /// completes, so a later command can tell a run whose process was killed from a live one.
    /// </summary>
    public async Task<long> StartRunAsync(string? policyName, RunKind kind, string? targetName, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var now = Now;
            var id = await InsertRunAsync(connection, policyName, kind, targetName, RunStatus.Running, startedAt: now, finishedAt: null, RunFigures.None, cancellationToken).ConfigureAwait(false);
            _heartbeats.Start(id, TouchRunAsync);
            return id;
        }
    }

    /// <summary>Records how a running run ended, its figures and per-item errors.</summary>
    /// <exception cref="CatalogException">The run does not exist or has already finished.</exception>
    public async Task CompleteRunAsync(long runId, RunStatus status, RunFigures figures, IReadOnlyList<RunErrorInfo> errors, string? errorMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentNullException.ThrowIfNull(errors);
        if (status == RunStatus.Running)
        {
            throw new ArgumentException("a run cannot complete with status running", nameof(status));
        }

        _heartbeats.Stop(runId);
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var (kind, current) = await ReadRunStateAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
                if (current != RunStatus.Running)
                {
                    throw new CatalogException($"run {runId} already finished ({CatalogConnections.Name(current)})");
                }

                await CatalogConnections.ExecuteAsync(
                    connection,
                    transaction,
                    """
                    UPDATE "Runs" SET "Status" = @status, "FinishedAt" = @finished, "BytesRead" = @read, "BytesNew" = @new, "BytesStored" = @stored,
                        "Files" = @files, "WarningsCount" = @warnings, "SnapshotId" = @snapshot, "ErrorMessage" = @error
                    WHERE "Id" = @id
                    """,
                    cancellationToken,
                    [
                        ("@status", CatalogConnections.Name(status)),
                        ("@finished", connections.Time(Now)),
                        .. FigureParameters(figures),
                        ("@error", Truncate(errorMessage)),
                        ("@id", runId),
                    ]).ConfigureAwait(false);
                foreach (var error in errors)
                {
                    await CatalogConnections.ExecuteAsync(
                        connection,
                        transaction,
                        """INSERT INTO "RunErrors" ("RunId", "Path", "Message", "IsWarning") VALUES (@run, @path, @message, @warning)""",
                        cancellationToken,
                        ("@run", runId),
                        ("@path", error.Path),
                        ("@message", Truncate(error.Message)),
                        ("@warning", error.IsWarning)).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                Log.RunCompleted(logger, runId, kind, status);
            }
        }
    }

    /// <summary>
    /// Records a run that has already finished: it ends now and took <paramref name="duration"/>; for work that must not wait for the catalog while it runs (a restore during an incident
    /// is recorded only once its data is back). Returns the run's id.
    /// </summary>
    /// <exception cref="CatalogException">The policy or target is not in the catalog.</exception>
    public async Task<long> RecordFinishedRunAsync(
        string policyName, RunKind kind, string? targetName, TimeSpan duration, RunStatus status, RunFigures figures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var now = Now;
            var id = await InsertRunAsync(connection, policyName, kind, targetName, status, startedAt: Normalize(now - duration), finishedAt: now, figures, cancellationToken).ConfigureAwait(false);
            Log.RunCompleted(logger, id, kind, status);
            return id;
        }
    }

    /// <summary>A run's figures as the parameters both the insert and the completion write.</summary>
    private static (string Name, object? Value)[] FigureParameters(RunFigures figures) =>
    [
        ("@read", figures.BytesRead),
        ("@new", figures.BytesNew),
        ("@stored", figures.BytesStored),
        ("@files", figures.Files),
        ("@warnings", figures.WarningsCount),
        ("@snapshot", figures.SnapshotId),
    ];

    /// <summary>
    /// Inserts a run row naming this process (for the interrupted-run reconcile), its policy and
    /// target; its heartbeat is its end, or its start while it runs. Every column is written, as
    /// EF's insert wrote them.
    /// </summary>
    private async Task<long> InsertRunAsync(
        DbConnection connection, string? policyName, RunKind kind, string? targetName, RunStatus status,
        DateTimeOffset startedAt, DateTimeOffset? finishedAt, RunFigures figures, CancellationToken cancellationToken)
    {
        var process = RunProcess.Current;
        object? policyId = policyName is null ? null : await RequirePolicyIdAsync(connection, policyName, cancellationToken).ConfigureAwait(false);
        object? targetId = targetName is null ? null : await RequireTargetIdAsync(connection, targetName, cancellationToken).ConfigureAwait(false);
        var id = await CatalogConnections.ScalarAsync(
            connection,
            null,
            """
            INSERT INTO "Runs" ("PolicyId", "TargetId", "Kind", "Status", "StartedAt", "FinishedAt", "BytesRead", "BytesNew", "BytesStored", "Files",
                "ErrorMessage", "WarningsCount", "SnapshotId", "Host", "ProcessId", "ProcessStartedAt", "HeartbeatAt")
            VALUES (@policy, @target, @kind, @status, @started, @finished, @read, @new, @stored, @files,
                NULL, @warnings, @snapshot, @host, @pid, @processStarted, @heartbeat)
            RETURNING "Id"
            """,
            cancellationToken,
            [
                ("@policy", policyId),
                ("@target", targetId),
                ("@kind", CatalogConnections.Name(kind)),
                ("@status", CatalogConnections.Name(status)),
                ("@started", connections.Time(startedAt)),
                ("@finished", connections.Time(finishedAt)),
                .. FigureParameters(figures),
                ("@host", process.Host),
                ("@pid", process.ProcessId),
                ("@processStarted", connections.Time(process.StartedAt)),
                ("@heartbeat", connections.Time(finishedAt ?? startedAt)),
            ]).ConfigureAwait(false);
        return Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }

    private static async Task<(RunKind Kind, RunStatus Status)> ReadRunStateAsync(
        DbConnection connection, DbTransaction transaction, long runId, CancellationToken cancellationToken)
    {
        var command = CatalogConnections.Command(connection, transaction, """SELECT "Kind", "Status" FROM "Runs" WHERE "Id" = @id""", ("@id", runId));
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new CatalogException($"run {runId} is not in the catalog");
                }

                return (Enum.Parse<RunKind>(reader.GetString(0), ignoreCase: true), Enum.Parse<RunStatus>(reader.GetString(1), ignoreCase: true));
            }
        }
    }

    /// <summary>One run with its errors, or null.</summary>
    public async Task<CatalogRun?> GetRunAsync(long runId, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var row = await RunQuery(db).SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
            return row is null ? null : ToRecord(row);
        }
    }

    /// <summary>The newest <paramref name="limit"/> runs (of one policy, or all), newest first.</summary>
    public async Task<IReadOnlyList<CatalogRun>> ListRunsAsync(string? policyName, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = RunQuery(db);
            if (policyName is not null)
            {
                query = query.Where(r => r.Policy!.Name == policyName);
            }

            var rows = await query.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id).Take(limit)
                .AsSplitQuery().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(ToRecord)];
        }
    }

    /// <summary>
    /// The restores that succeeded from a target (of one policy, or all), newest first: with drills,
    /// the samples of the RTO prediction, read for every policy in one query.
    /// </summary>
    public async Task<IReadOnlyList<CatalogRun>> ListSucceededRestoresAsync(string? policyName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = RunQuery(db).Where(r => r.Kind == RunKind.Restore && r.Status == RunStatus.Succeeded && r.TargetId != null && r.FinishedAt != null);
            if (policyName is not null)
            {
                query = query.Where(r => r.Policy!.Name == policyName);
            }

            var rows = await query.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id)
                .AsSplitQuery().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(ToRecord)];
        }
    }

    /// <summary>Records the outcome of the drill run <paramref name="runId"/>, with every mismatch it found.</summary>
    public async Task RecordDrillAsync(long runId, DrillOutcomeInput outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var run = await RequireRunAsync(db, runId, cancellationToken).ConfigureAwait(false);
            if (run.Kind != RunKind.Drill)
            {
                throw new CatalogException($"run {runId} is a {run.Kind.ToString().ToLowerInvariant()} run, not a drill");
            }

            db.DrillResults.Add(new DrillResultEntity
            {
                RunId = runId,
                SnapshotId = outcome.SnapshotId,
                Outcome = outcome.Outcome,
                FilesVerified = outcome.FilesVerified,
                BytesRestored = outcome.BytesRestored,
                Mismatches = outcome.Mismatches.Count,
                RtoAchievedSeconds = outcome.RtoAchieved.TotalSeconds,
                RtoTargetSeconds = outcome.RtoTarget?.TotalSeconds,
                MismatchDetails =
                [
                    .. outcome.Mismatches.Select(m => new DrillMismatchEntity
                    {
                        Path = Truncate(m.Path)!,
                        Expected = m.Expected,
                        Actual = m.Actual,
                        Reason = Truncate(m.Reason)!,
                    }),
                ],
            });
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drill results (of one policy, or all), newest first.</summary>
    public async Task<IReadOnlyList<DrillRecord>> ListDrillsAsync(string? policyName, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var query = db.DrillResults.AsNoTracking();
            if (policyName is not null)
            {
                query = query.Where(d => d.Run!.Policy!.Name == policyName);
            }

            var rows = await query.OrderByDescending(d => d.Run!.StartedAt).ThenByDescending(d => d.Id)
                .Select(d => new
                {
                    d.RunId, Policy = d.Run!.Policy!.Name, Target = d.Run.Target!.Name, d.SnapshotId, d.Outcome, d.FilesVerified, d.BytesRestored,
                    d.Mismatches, d.RtoAchievedSeconds, d.RtoTargetSeconds, d.Run.StartedAt,
                })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return
            [
                .. rows.Select(d => new DrillRecord(
                    d.RunId, d.Policy, d.Target, d.SnapshotId, d.Outcome, d.FilesVerified, d.BytesRestored, d.Mismatches,
                    TimeSpan.FromSeconds(d.RtoAchievedSeconds), d.RtoTargetSeconds is { } t ? TimeSpan.FromSeconds(t) : null, d.StartedAt)),
            ];
        }
    }

    /// <summary>The mismatches recorded for the drill run <paramref name="runId"/>, in the order they were recorded.</summary>
    public async Task<IReadOnlyList<DrillMismatch>> ListDrillMismatchesAsync(long runId, CancellationToken cancellationToken)
    {
        var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var rows = await db.DrillMismatches.AsNoTracking()
                .Where(m => db.DrillResults.Any(d => d.RunId == runId && d.Id == m.DrillResultId))
                .OrderBy(m => m.Id)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(m => new DrillMismatch(m.Path, m.Expected, m.Actual, m.Reason))];
        }
    }

    private static async Task<RunEntity> RequireRunAsync(CatalogDbContext db, long runId, CancellationToken cancellationToken) =>
        await db.Runs.SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false)
        ?? throw new CatalogException($"run {runId} is not in the catalog");

    private static IQueryable<RunEntity> RunQuery(CatalogDbContext db) =>
        db.Runs.AsNoTracking().Include(r => r.Policy).Include(r => r.Target).Include(r => r.Errors);

    // Columns are bounded (4000) so an enormous exception text cannot fail the write that records it.
    private static string? Truncate(string? text) => text is { Length: > 4000 } ? text[..4000] : text;

    private static CatalogRun ToRecord(RunEntity r) => new(
        r.Id,
        r.Policy?.Name,
        r.Target?.Name,
        r.Kind,
        r.Status,
        r.StartedAt,
        r.FinishedAt,
        new RunFigures(r.BytesRead, r.BytesNew, r.BytesStored, r.Files, r.WarningsCount, r.SnapshotId),
        r.ErrorMessage,
        [.. r.Errors.OrderBy(e => e.Id).Select(e => new RunErrorInfo(e.Path, e.Message) { IsWarning = e.IsWarning })]);
}
