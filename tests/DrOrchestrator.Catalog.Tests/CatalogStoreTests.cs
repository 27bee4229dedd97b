using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Catalog.Entities;
using DrOrchestrator.Catalog.Tests.Support;
using DrOrchestrator.Core.Policies;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DrOrchestrator.Catalog.Tests;

/// <summary>A fresh, migrated catalog per test on the provider a subclass names.</summary>
public abstract class CatalogDatabaseTests : IAsyncLifetime
{
    private CatalogHarness? _harness;

    private protected CatalogHarness Harness => _harness ?? throw new InvalidOperationException("not initialised");

    private protected CatalogStore Store => Harness.Store;

    private protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>Configuration keys (Catalog:*) pointing at a fresh, empty database.</summary>
    protected abstract Task<Dictionary<string, string?>> CreateDatabaseAsync();

    public async Task InitializeAsync() => _harness = await CatalogHarness.CreateAsync(await CreateDatabaseAsync());

    public virtual async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}

/// <summary>
/// Every <see cref="CatalogStore"/> method, asserted through the API and through the rows behind
/// it. Runs once per provider (see the subclasses); each test gets a fresh, migrated database.
/// </summary>
public abstract class CatalogStoreTests : CatalogDatabaseTests
{

    [Fact]
    public async Task The_migrators_quick_check_passes_a_migrated_catalog_and_fails_one_missing_a_migration()
    {
        await using var db = Harness.Db();
        Assert.True(await Harness.Migrator.IsUpToDateAsync(Ct));
        // The migrations the quick check knows are the ones EF knows, for this provider.
        Assert.Equal(
            db.GetService<IMigrationsAssembly>().Migrations.Keys.Order(StringComparer.Ordinal),
            CatalogMigrator.KnownMigrations(db.Database.IsSqlite()));
        Assert.NotEmpty(CatalogMigrator.KnownMigrations(db.Database.IsSqlite()));

        await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = (SELECT MAX(\"MigrationId\") FROM \"__EFMigrationsHistory\")", Ct);

        Assert.False(await Harness.Migrator.IsUpToDateAsync(Ct));
    }

    [Fact]
    public async Task A_run_names_its_process_beats_and_is_marked_interrupted_exactly_once()
    {
        Assert.Empty(await Store.ListRunningRunsAsync(Ct));
        var started = CatalogStore.Normalize(Harness.Clock.GetUtcNow());
        long id = await Store.StartRunAsync(null, RunKind.Check, Ct);

        var running = Assert.Single(await Store.ListRunningRunsAsync(Ct));
        Assert.Equal((id, RunKind.Check, started, started), (running.Id, running.Kind, running.StartedAt, running.HeartbeatAt));
        Assert.Equal(RunProcess.Current, running.Process);

        Harness.Clock.Advance(TimeSpan.FromMinutes(3));
        await Store.TouchRunAsync(id, Ct);
        var seen = Assert.Single(await Store.ListRunningRunsAsync(Ct)).LastSeen;
        Assert.Equal(started.AddMinutes(3), seen);

        Harness.Clock.Advance(TimeSpan.FromHours(1));
        Assert.True(await Store.MarkInterruptedAsync(id, seen, "its process is gone", Ct));
        Assert.False(await Store.MarkInterruptedAsync(id, seen, "a second command", Ct));
        Assert.Empty(await Store.ListRunningRunsAsync(Ct));
        var run = (await Store.GetRunAsync(id, Ct))!;
        Assert.Equal((RunStatus.Interrupted, seen, "its process is gone"), (run.Status, run.FinishedAt, run.ErrorMessage));
        await using (var db = Harness.Db())
        {
            Assert.Equal("interrupted", await db.Database.SqlQueryRaw<string>("SELECT \"Status\" AS \"Value\" FROM \"Runs\"").SingleAsync());
        }

        await Store.SetInterruptedRunFiguresAsync(id, new RunFigures(10, 5, 3, 2, 0, "ab12"), Ct);
        Assert.Equal(new RunFigures(10, 5, 3, 2, 0, "ab12"), (await Store.GetRunAsync(id, Ct))!.Figures);
        var late = await Assert.ThrowsAsync<CatalogException>(() => Store.CompleteRunAsync(id, RunStatus.Succeeded, RunFigures.None, [], null, Ct));
        Assert.Equal($"run {id} already finished (interrupted)", late.Message);
    }

    [Fact]
    public async Task Upsert_policy_creates_then_is_unchanged_then_updates()
    {
        var policy = TestPolicies.Home();
        var yaml = PolicySerializer.Serialize(policy);

        Assert.Equal(PolicyChange.Created, await Store.UpsertPolicyAsync(policy, yaml, Ct));
        Harness.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(PolicyChange.Unchanged, await Store.UpsertPolicyAsync(policy, Ct));
        await using (var db = Harness.Db())
        {
            var row = await db.Policies.SingleAsync();
            Assert.Equal(("home", "Alice's home dir", yaml), (row.Name, row.Description, row.Yaml));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml))), row.YamlSha256);
            Assert.Equal((86_400L, 3_600L, 1), (row.RpoSeconds, row.RtoSeconds, row.MinPrimaries));
            Assert.Equal(CatalogHarness.Start, row.CreatedAt);
            Assert.Equal(CatalogHarness.Start, row.AppliedAt);
        }

        var changed = TestPolicies.Home(rpo: "12h");
        Assert.Equal(PolicyChange.Updated, await Store.UpsertPolicyAsync(changed, Ct));

        var stored = await Store.GetPolicyAsync("home", Ct);
        Assert.NotNull(stored);
        Assert.Equal(PolicySerializer.Serialize(changed), stored.Yaml);
        Assert.Equal(TimeSpan.FromHours(12), stored.Rpo);
        Assert.Equal(CatalogHarness.Start, stored.CreatedAt);
        Assert.Equal(CatalogHarness.Start.AddMinutes(5), stored.AppliedAt);
        Assert.Equal(PolicySerializer.Serialize(changed), PolicySerializer.Serialize(stored.ToPolicy()));
    }

    [Fact]
    public async Task List_and_get_policies()
    {
        await Store.UpsertPolicyAsync(TestPolicies.Named("zeta"), Ct);
        await Store.UpsertPolicyAsync(TestPolicies.Named("alpha"), Ct);

        Assert.Equal(["alpha", "zeta"], (await Store.ListPoliciesAsync(Ct)).Select(p => p.Name));
        Assert.Null(await Store.GetPolicyAsync("missing", Ct));
        Assert.Equal("alpha", (await Store.GetPolicyAsync("alpha", Ct))!.ToPolicy().Name);
    }

    [Fact]
    public async Task Upsert_target_creates_and_updates_by_name()
    {
        await Store.UpsertTargetAsync(new CatalogTarget("offsite", "s3", "Wasabi bucket"), Ct);
        await Store.UpsertTargetAsync(new CatalogTarget("local", "local", null), Ct);
        Harness.Clock.Advance(TimeSpan.FromHours(1));
        await Store.UpsertTargetAsync(new CatalogTarget("offsite", "azureblob", "moved"), Ct);

        Assert.Equal(
            [new CatalogTarget("local", "local", null), new CatalogTarget("offsite", "azureblob", "moved")],
            await Store.ListTargetsAsync(Ct));
        await using var db = Harness.Db();
        var row = await db.Targets.SingleAsync(t => t.Name == "offsite");
        Assert.Equal(CatalogHarness.Start.AddHours(1), row.UpdatedAt);
        Assert.Equal(2, await db.Targets.CountAsync());
    }

    [Fact]
    public async Task Start_and_complete_a_run_records_figures_and_errors()
    {
        await Store.UpsertPolicyAsync(TestPolicies.Home(), Ct);
        long id = await Store.StartRunAsync("home", RunKind.Backup, Ct);
        var running = await Store.GetRunAsync(id, Ct);
        Assert.Equal((RunStatus.Running, CatalogHarness.Start, (DateTimeOffset?)null), (running!.Status, running.StartedAt, running.FinishedAt));

        Harness.Clock.Advance(TimeSpan.FromSeconds(42));
        var figures = new RunFigures(1_000, 400, 300, 12, 2, "ab12");
        RunErrorInfo[] errors = [new("/home/alice/locked", "permission denied"), new(null, "replica offsite unreachable")];
        await Store.CompleteRunAsync(id, RunStatus.Degraded, figures, errors, "1 of 2 targets failed", Ct);

        var run = await Store.GetRunAsync(id, Ct);
        Assert.NotNull(run);
        Assert.Equal(("home", (string?)null, RunKind.Backup, RunStatus.Degraded), (run.PolicyName, run.TargetName, run.Kind, run.Status));
        Assert.Equal(CatalogHarness.Start.AddSeconds(42), run.FinishedAt);
        Assert.Equal(figures, run.Figures);
        Assert.Equal("1 of 2 targets failed", run.ErrorMessage);
        Assert.Equal(errors, run.Errors);
        await using var db = Harness.Db();
        var row = await db.Runs.SingleAsync();
        Assert.Equal((1_000L, 400L, 300L, 12L, 2), (row.BytesRead, row.BytesNew, row.BytesStored, row.Files, row.WarningsCount));
        Assert.Equal(2, await db.RunErrors.CountAsync(e => e.RunId == id));
    }

    [Fact]
    public async Task Plain_statements_write_the_same_run_rows_as_EF_did()
    {
        // The run statements are plain ADO (docs/decisions.md §68); the reference rows here are
        // written the way the EF code wrote them, and every column must match.
        await Store.UpsertPolicyAsync(TestPolicies.Home(), Ct);
        await Store.UpsertTargetAsync(new CatalogTarget("offsite", "s3", null), Ct);
        var start = CatalogStore.Normalize(Harness.Clock.GetUtcNow());
        var figures = new RunFigures(1_000, 400, 300, 12, 2, "ab12");
        RunErrorInfo[] errors = [new("/home/alice/locked", "permission denied") { IsWarning = true }, new(null, new string('x', 5000))];

        long started = await Store.StartRunAsync("home", RunKind.Backup, "offsite", Ct);
        Harness.Clock.Advance(TimeSpan.FromSeconds(20)); // less than a heartbeat: the heartbeat stays the start
        await Store.CompleteRunAsync(started, RunStatus.Degraded, figures, errors, "1 of 2 targets failed", Ct);
        long recorded = await Store.RecordFinishedRunAsync("home", RunKind.Restore, "offsite", TimeSpan.FromSeconds(7.1234567), RunStatus.Succeeded, figures, Ct);
        var end = CatalogStore.Normalize(Harness.Clock.GetUtcNow());

        long referenceStarted, referenceRecorded;
        await using (var db = Harness.Db())
        {
            var policyId = (await db.Policies.SingleAsync(p => p.Name == "home")).Id;
            var targetId = (await db.Targets.SingleAsync(t => t.Name == "offsite")).Id;
            var process = RunProcess.Current;
            RunEntity NewRun(RunKind kind, RunStatus status, DateTimeOffset at) => new()
            {
                PolicyId = policyId, TargetId = targetId, Kind = kind, Status = status, StartedAt = at, HeartbeatAt = at,
                Host = process.Host, ProcessId = process.ProcessId, ProcessStartedAt = process.StartedAt,
            };
            var run = NewRun(RunKind.Backup, RunStatus.Running, start);
            db.Runs.Add(run);
            await db.SaveChangesAsync(Ct);
            (run.Status, run.FinishedAt, run.ErrorMessage) = (RunStatus.Degraded, start.AddSeconds(20), "1 of 2 targets failed");
            (run.BytesRead, run.BytesNew, run.BytesStored, run.Files, run.WarningsCount, run.SnapshotId) = (1_000, 400, 300, 12, 2, "ab12");
            run.Errors.AddRange(errors.Select(e => new RunErrorEntity { Path = e.Path, Message = e.Message[..Math.Min(e.Message.Length, 4000)], IsWarning = e.IsWarning }));
            await db.SaveChangesAsync(Ct);
            var finished = NewRun(RunKind.Restore, RunStatus.Succeeded, CatalogStore.Normalize(end - TimeSpan.FromSeconds(7.1234567)));
            (finished.HeartbeatAt, finished.FinishedAt) = (end, end);
            (finished.BytesRead, finished.BytesNew, finished.BytesStored, finished.Files, finished.WarningsCount, finished.SnapshotId) = (1_000, 400, 300, 12, 2, "ab12");
            db.Runs.Add(finished);
            await db.SaveChangesAsync(Ct);
            (referenceStarted, referenceRecorded) = (run.Id, finished.Id);
        }

        Assert.Equal(await RawRowAsync("Runs", "Id", referenceStarted), await RawRowAsync("Runs", "Id", started));
        Assert.Equal(await RawRowAsync("Runs", "Id", referenceRecorded), await RawRowAsync("Runs", "Id", recorded));
        Assert.Equal(await RawRowAsync("RunErrors", "RunId", referenceStarted), await RawRowAsync("RunErrors", "RunId", started));
        Assert.Equal(2, (await RawRowAsync("RunErrors", "RunId", started)).Count(v => v.StartsWith("IsWarning=", StringComparison.Ordinal)));
        var read = (await Store.GetRunAsync(started, Ct))!;
        Assert.Equal((RunStatus.Degraded, start, (DateTimeOffset?)start.AddSeconds(20), figures), (read.Status, read.StartedAt, read.FinishedAt, read.Figures));
    }

    [Fact]
    public async Task Plain_statements_write_the_same_snapshot_rows_as_EF_did()
    {
        // RecordSnapshotAsync is plain ADO (docs/decisions.md §73); the reference rows are written
        // the way its EF code wrote them, and every column but the ids must match.
        await SeedAsync();
        var recoveryPoint = CatalogHarness.Start.AddTicks(1_234_567); // below a microsecond: normalised on both paths
        var figures = new SnapshotFigures("bb01", SnapshotKind.Db, recoveryPoint.AddSeconds(-3), recoveryPoint, "db-host", "treebb01", "aa00", 4, 0, 185_000_000, 2_000_000, 1_900_000);
        var completeAt = recoveryPoint.AddSeconds(9.8765432);
        await Store.RecordSnapshotAsync("home", figures, "local", completeAt, Ct);
        await Store.RecordSnapshotAsync("home", figures, "offsite", completeAt.AddHours(1), Ct);
        await Store.SetPresenceAsync("bb01", "offsite", PresenceStatus.Missing, null, completeAt, Ct);
        await Store.RecordSnapshotAsync("home", figures, "offsite", completeAt.AddHours(2), Ct); // present again, its verification kept

        long referenceId;
        await using (var db = Harness.Db())
        {
            var policyId = (await db.Policies.SingleAsync(p => p.Name == "home")).Id;
            var local = (await db.Targets.SingleAsync(t => t.Name == "local")).Id;
            var offsite = (await db.Targets.SingleAsync(t => t.Name == "offsite")).Id;
            var row = new SnapshotEntity
            {
                SnapshotId = "bb01-reference", PolicyId = policyId, Kind = SnapshotKind.Db, Time = CatalogStore.Normalize(figures.Time),
                RecoveryPoint = CatalogStore.Normalize(recoveryPoint), Hostname = "db-host", TreeId = "treebb01", ParentSnapshotId = "aa00",
                FileCount = 4, DirCount = 0, TotalBytes = 185_000_000, BytesNew = 2_000_000, BytesStored = 1_900_000,
            };
            row.Presence.Add(new SnapshotPresenceEntity { TargetId = local, Status = PresenceStatus.Present, CompleteAt = CatalogStore.Normalize(completeAt) });
            row.Presence.Add(new SnapshotPresenceEntity
            {
                TargetId = offsite, Status = PresenceStatus.Present, CompleteAt = CatalogStore.Normalize(completeAt.AddHours(2)), LastVerifiedAt = CatalogStore.Normalize(completeAt),
            });
            db.Snapshots.Add(row);
            await db.SaveChangesAsync(Ct);
            referenceId = row.Id;
        }

        long plainId;
        await using (var db = Harness.Db())
        {
            plainId = (await db.Snapshots.SingleAsync(s => s.SnapshotId == "bb01", Ct)).Id;
        }

        static List<string> WithoutSnapshotId(List<string> values) => [.. values.Where(v => !v.StartsWith("SnapshotId=", StringComparison.Ordinal))];
        Assert.Equal(WithoutSnapshotId(await RawRowAsync("Snapshots", "Id", referenceId)), WithoutSnapshotId(await RawRowAsync("Snapshots", "Id", plainId)));
        Assert.Equal(await RawPresenceAsync(referenceId), await RawPresenceAsync(plainId));

        var other = figures with { SnapshotId = "bb01" };
        await Store.UpsertPolicyAsync(TestPolicies.Named("other"), Ct);
        var refused = await Assert.ThrowsAsync<CatalogException>(() => Store.RecordSnapshotAsync("other", other, "local", completeAt, Ct));
        Assert.Equal("snapshot 'bb01' is already recorded for another policy than 'other'", refused.Message);
    }

    [Fact]
    public async Task The_last_succeeded_run_of_a_kind_on_a_target_is_its_start()
    {
        await SeedAsync();
        Assert.Null(await Store.GetLastSucceededRunAsync(RunKind.SystemBackup, "local", Ct));
        async Task RunAsync(string? policy, RunKind kind, string target, RunStatus status) =>
            await Store.CompleteRunAsync(await Store.StartRunAsync(policy, kind, target, Ct), status, RunFigures.None, [], null, Ct);
        var first = CatalogStore.Normalize(Harness.Clock.GetUtcNow());
        await RunAsync(null, RunKind.SystemBackup, "local", RunStatus.Succeeded);
        Harness.Clock.Advance(TimeSpan.FromHours(1));
        await RunAsync(null, RunKind.SystemBackup, "local", RunStatus.Failed);
        await RunAsync(null, RunKind.SystemBackup, "offsite", RunStatus.Succeeded);
        await RunAsync("home", RunKind.Backup, "local", RunStatus.Succeeded);

        Assert.Equal(first, await Store.GetLastSucceededRunAsync(RunKind.SystemBackup, "local", Ct));
        Assert.Null(await Store.GetLastSucceededRunAsync(RunKind.Check, "local", Ct));
    }

    [Fact]
    public async Task Forgetting_old_fires_keeps_open_ones_and_each_triggers_newest()
    {
        await SeedAsync();
        var day = new DateTimeOffset(2027, 3, 1, 3, 0, 0, TimeSpan.Zero);
        async Task ClaimAsync(string policy, RunKind kind, DateTimeOffset due, FireStatus status) =>
            Assert.NotNull(await Store.TryClaimFireAsync(policy, kind, due, status, null, Ct));
        await ClaimAsync("home", RunKind.Backup, day, FireStatus.Done);
        await ClaimAsync("home", RunKind.Backup, day.AddDays(1), FireStatus.Missed);
        await ClaimAsync("home", RunKind.Backup, day.AddDays(2), FireStatus.Enqueued); // open: stays however old
        await ClaimAsync("home", RunKind.Backup, day.AddDays(3), FireStatus.Interrupted);
        await ClaimAsync("home", RunKind.Backup, day.AddDays(4), FireStatus.Done);
        await ClaimAsync("home", RunKind.Backup, day.AddDays(40), FireStatus.Done); // younger than the cut
        await ClaimAsync("home", RunKind.Drill, day, FireStatus.Done); // its trigger's newest: the catch-up counts from it

        var forgotten = await Store.ForgetFiresBeforeAsync(day.AddDays(10), Ct);

        Assert.Equal(3, forgotten);
        var left = await Store.ListFiresAsync("home", null, Ct);
        Assert.Equal(
            [(RunKind.Drill, day), (RunKind.Backup, day.AddDays(2)), (RunKind.Backup, day.AddDays(3)), (RunKind.Backup, day.AddDays(40))],
            left.Select(f => (f.Kind, f.ScheduledAt)));
        Assert.Equal(day.AddDays(40), await Store.GetLastFireAsync("home", RunKind.Backup, Ct));
        Assert.Equal(0, await Store.ForgetFiresBeforeAsync(day.AddDays(10), Ct));
    }

    [Fact]
    public async Task A_fire_belongs_to_the_first_job_that_takes_it_and_to_that_job_again_never_to_another()
    {
        await SeedAsync();
        var due = new DateTimeOffset(2027, 3, 1, 3, 0, 0, TimeSpan.Zero);
        var fire = (await Store.TryClaimFireAsync("home", RunKind.Backup, due, FireStatus.Enqueued, null, Ct))!.Value;
        var other = (await Store.TryClaimFireAsync("home", RunKind.Backup, due.AddDays(1), FireStatus.Enqueued, null, Ct))!.Value;
        async Task<string?> JobOfAsync(long id) => (await Store.GetFireAsync(id, Ct))!.JobId;

        Assert.True(await Store.TryOwnFireAsync(fire, "job-1", Ct)); // no job yet: the first one wins
        Assert.Equal("job-1", await JobOfAsync(fire));
        Assert.False(await Store.TryOwnFireAsync(fire, "job-2", Ct)); // another job's: loses, writes nothing
        Assert.Equal("job-1", await JobOfAsync(fire));
        Assert.True(await Store.TryOwnFireAsync(fire, "job-1", Ct)); // its own again (a retry, a record after the job started)
        Assert.Equal("job-1", await JobOfAsync(fire));
        Assert.False(await Store.TryOwnFireAsync(fire + other + 1000, "job-1", Ct)); // no such fire

        // Many at once (a burst's job ids): each pair decided on its own, in order.
        var third = (await Store.TryClaimFireAsync("home", RunKind.Backup, due.AddDays(2), FireStatus.Enqueued, null, Ct))!.Value;
        Assert.Equal([false, true, true], await Store.TryOwnFiresAsync([(fire, "job-9"), (other, "job-2"), (third, "job-3")], Ct));
        Assert.Equal(("job-1", "job-2", "job-3"), (await JobOfAsync(fire), await JobOfAsync(other), await JobOfAsync(third)));
        Assert.Empty(await Store.TryOwnFiresAsync([], Ct));

        // Two jobs racing for one job-less fire: exactly one owns it.
        var raced = (await Store.TryClaimFireAsync("home", RunKind.Backup, due.AddDays(3), FireStatus.Enqueued, null, Ct))!.Value;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(n => Task.Run(() => Store.TryOwnFireAsync(raced, $"racer-{n}", Ct))));
        Assert.Single(outcomes, won => won);
        Assert.Equal($"racer-{Array.IndexOf(outcomes, true)}", await JobOfAsync(raced));

        // Re-opened after a restart (its job gone with the in-memory queue): no owner, enqueued, a new job takes it.
        await Store.UpdateFireAsync(fire, FireStatus.Interrupted, null, "interrupted", Ct);
        await Store.ReopenFireAsync(fire, Ct);
        var reopened = (await Store.GetFireAsync(fire, Ct))!;
        Assert.Equal((FireStatus.Enqueued, (string?)null), (reopened.Status, reopened.JobId));
        Assert.True(await Store.TryOwnFireAsync(fire, "job-after-restart", Ct));
        await Assert.ThrowsAsync<CatalogException>(() => Store.ReopenFireAsync(fire + third + 1000, Ct));
    }

    /// <summary>A snapshot's presence rows (target, status, times) as text, by target.</summary>
    private async Task<List<string>> RawPresenceAsync(long snapshotRowId)
    {
        var values = await RawColumnsAsync(
            $"SELECT * FROM \"SnapshotPresence\" WHERE \"SnapshotRowId\" = {snapshotRowId} ORDER BY \"TargetId\"", column => column != "SnapshotRowId");
        Assert.Equal(2, values.Count(v => v.StartsWith("TargetId=", StringComparison.Ordinal)));
        return values;
    }

    /// <summary>Every column of the rows of <paramref name="table"/> whose <paramref name="key"/> is <paramref name="value"/>, as name=value text, except ids.</summary>
    private async Task<List<string>> RawRowAsync(string table, string key, long value)
    {
        var values = await RawColumnsAsync($"SELECT * FROM \"{table}\" WHERE \"{key}\" = {value} ORDER BY \"Id\"", column => column is not ("Id" or "RunId"));
        Assert.NotEmpty(values);
        return values;
    }

    /// <summary>The kept columns of every row <paramref name="sql"/> returns, as name=type:value text.</summary>
    private async Task<List<string>> RawColumnsAsync(string sql, Func<string, bool> keep)
    {
        await using var db = Harness.Db();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var values = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            for (int i = 0; i < reader.FieldCount; i++)
            {
                if (keep(reader.GetName(i)))
                {
                    var v = reader.GetValue(i);
                    values.Add($"{reader.GetName(i)}={v.GetType().Name}:{Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }
        }

        return values;
    }

    [Fact]
    public async Task Run_errors_are_one_line_catalog_exceptions()
    {
        await Store.UpsertPolicyAsync(TestPolicies.Home(), Ct);
        long id = await Store.StartRunAsync("home", RunKind.Backup, Ct);
        await Store.CompleteRunAsync(id, RunStatus.Succeeded, RunFigures.None, [], null, Ct);

        var twice = await Assert.ThrowsAsync<CatalogException>(() => Store.CompleteRunAsync(id, RunStatus.Failed, RunFigures.None, [], "x", Ct));
        Assert.Equal($"run {id} already finished (succeeded)", twice.Message);
        var unknownPolicy = await Assert.ThrowsAsync<CatalogException>(() => Store.StartRunAsync("nope", RunKind.Backup, Ct));
        Assert.Equal("policy 'nope' is not in the catalog (run 'drorch policy apply' first)", unknownPolicy.Message);
        var unknownRun = await Assert.ThrowsAsync<CatalogException>(() => Store.CompleteRunAsync(999_999, RunStatus.Failed, RunFigures.None, [], null, Ct));
        Assert.Equal("run 999999 is not in the catalog", unknownRun.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CompleteRunAsync(id, RunStatus.Running, RunFigures.None, [], null, Ct));
    }

    [Fact]
    public async Task Check_run_on_a_target_without_policy()
    {
        await Store.UpsertTargetAsync(new CatalogTarget("offsite", "s3", null), Ct);

        long id = await Store.StartRunAsync(null, RunKind.Check, "offsite", Ct);

        var run = await Store.GetRunAsync(id, Ct);
        Assert.Equal(((string?)null, "offsite", RunKind.Check), (run!.PolicyName, run.TargetName, run.Kind));
        await using var db = Harness.Db();
        Assert.Equal("check", await db.Database.SqlQueryRaw<string>("SELECT \"Kind\" AS \"Value\" FROM \"Runs\"").SingleAsync());
    }

    [Fact]
    public async Task List_runs_newest_first_with_policy_filter_and_limit()
    {
        await Store.UpsertPolicyAsync(TestPolicies.Named("a"), Ct);
        await Store.UpsertPolicyAsync(TestPolicies.Named("b"), Ct);
        var ids = new List<long>();
        foreach (var policy in new[] { "a", "b", "a", "a" })
        {
            ids.Add(await Store.StartRunAsync(policy, RunKind.Backup, Ct));
            Harness.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal([ids[3], ids[2]], (await Store.ListRunsAsync("a", 2, Ct)).Select(r => r.Id));
        Assert.Equal([ids[3], ids[2], ids[1], ids[0]], (await Store.ListRunsAsync(null, 10, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task Record_snapshot_on_primary_then_replica_tracks_presence_per_target()
    {
        await SeedAsync();
        var snapshot = Snapshot("aa01", hoursAfterStart: 0);

        await Store.RecordSnapshotAsync("home", snapshot, "local", CatalogHarness.Start.AddMinutes(10), Ct);
        await Store.RecordSnapshotAsync("home", snapshot, "offsite", CatalogHarness.Start.AddHours(2), Ct);
        await Store.RecordSnapshotAsync("home", snapshot, "offsite", CatalogHarness.Start.AddHours(2), Ct); // idempotent

        var listed = Assert.Single(await Store.ListSnapshotsAsync("home", Ct));
        Assert.Equal("home", listed.PolicyName);
        Assert.Equal(snapshot, listed.Figures);
        Assert.Equal(
            [
                new SnapshotPresenceInfo("local", PresenceStatus.Present, CatalogHarness.Start.AddMinutes(10), null),
                new SnapshotPresenceInfo("offsite", PresenceStatus.Present, CatalogHarness.Start.AddHours(2), null),
            ],
            listed.Presence);
        await using var db = Harness.Db();
        Assert.Equal(1, await db.Snapshots.CountAsync());
        Assert.Equal(2, await db.SnapshotPresence.CountAsync());
        Assert.Equal("files", await db.Database.SqlQueryRaw<string>("SELECT \"Kind\" AS \"Value\" FROM \"Snapshots\"").SingleAsync());
    }

    [Fact]
    public async Task List_snapshots_newest_recovery_point_first_and_by_policy()
    {
        await SeedAsync();
        await Store.UpsertPolicyAsync(TestPolicies.Named("other"), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "local", CatalogHarness.Start.AddHours(1), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa02", 24), "local", CatalogHarness.Start.AddHours(25), Ct);
        await Store.RecordSnapshotAsync("other", Snapshot("bb01", 12), "local", CatalogHarness.Start.AddHours(13), Ct);

        Assert.Equal(["aa02", "aa01"], (await Store.ListSnapshotsAsync("home", Ct)).Select(s => s.Figures.SnapshotId));
        Assert.Equal(["aa02", "bb01", "aa01"], (await Store.ListSnapshotsAsync(null, Ct)).Select(s => s.Figures.SnapshotId));
        var wrongPolicy = await Assert.ThrowsAsync<CatalogException>(() =>
            Store.RecordSnapshotAsync("other", Snapshot("aa01", 0), "offsite", CatalogHarness.Start, Ct));
        Assert.Equal("snapshot 'aa01' is already recorded for another policy than 'other'", wrongPolicy.Message);
        var unknownTarget = await Assert.ThrowsAsync<CatalogException>(() =>
            Store.RecordSnapshotAsync("home", Snapshot("aa03", 0), "nas", CatalogHarness.Start, Ct));
        Assert.Equal("target 'nas' is not in the catalog (is it configured under Targets:nas?)", unknownTarget.Message);
    }

    [Fact]
    public async Task Set_presence_moves_a_copy_through_its_states()
    {
        await SeedAsync();
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "local", CatalogHarness.Start.AddMinutes(5), Ct);

        await Store.SetPresenceAsync("aa01", "offsite", PresenceStatus.Copying, null, null, Ct);
        Assert.Equal(new SnapshotPresenceInfo("offsite", PresenceStatus.Copying, null, null), await PresenceAsync("offsite"));

        await Store.SetPresenceAsync("aa01", "offsite", PresenceStatus.Present, CatalogHarness.Start.AddHours(3), null, Ct);
        await Store.SetPresenceAsync("aa01", "offsite", PresenceStatus.Present, null, CatalogHarness.Start.AddDays(1), Ct);
        Assert.Equal(
            new SnapshotPresenceInfo("offsite", PresenceStatus.Present, CatalogHarness.Start.AddHours(3), CatalogHarness.Start.AddDays(1)),
            await PresenceAsync("offsite"));

        await Store.SetPresenceAsync("aa01", "local", PresenceStatus.Missing, null, null, Ct);
        Assert.Equal(PresenceStatus.Missing, (await PresenceAsync("local")).Status);
        await using var db = Harness.Db();
        Assert.Equal(
            ["missing", "present"],
            await db.Database.SqlQueryRaw<string>("SELECT \"Status\" AS \"Value\" FROM \"SnapshotPresence\" ORDER BY \"TargetId\"").ToListAsync());
        var unknown = await Assert.ThrowsAsync<CatalogException>(() => Store.SetPresenceAsync("ffff", "local", PresenceStatus.Present, null, null, Ct));
        Assert.Equal("snapshot 'ffff' is not in the catalog", unknown.Message);
    }

    [Fact]
    public async Task Copy_presence_marks_the_copied_snapshots_present_and_the_rest_missing_in_one_pass()
    {
        await SeedAsync();
        await Store.UpsertPolicyAsync(TestPolicies.Named("other"), Ct);
        foreach (var (id, hours) in new[] { ("aa01", 0), ("aa02", 1), ("aa03", 2), ("aa04", 3), ("aa05", 4) })
        {
            await Store.RecordSnapshotAsync("home", Snapshot(id, hours), "local", CatalogHarness.Start.AddHours(hours), Ct);
        }

        await Store.RecordSnapshotAsync("other", Snapshot("bb01", 0), "local", CatalogHarness.Start, Ct);
        var earlier = CatalogHarness.Start.AddHours(5);
        await Store.SetPresenceAsync("aa01", "offsite", PresenceStatus.Present, earlier, CatalogHarness.Start.AddHours(6), Ct);
        await Store.SetPresenceAsync("aa02", "offsite", PresenceStatus.Copying, null, null, Ct);
        await Store.SetPresenceAsync("aa05", "offsite", PresenceStatus.Present, earlier, null, Ct);
        var copiedAt = CatalogHarness.Start.AddDays(1).AddTicks(1_234_567);

        await Store.RecordCopyPresenceAsync("home", "offsite", ["aa01", "aa02", "aa03", "bb01", "ffff"], copiedAt, Ct);

        var stamp = CatalogStore.Normalize(copiedAt);
        Assert.Equal(
            [
                ("aa01", new SnapshotPresenceInfo("offsite", PresenceStatus.Present, earlier, CatalogHarness.Start.AddHours(6))),
                ("aa02", new SnapshotPresenceInfo("offsite", PresenceStatus.Present, stamp, null)),
                ("aa03", new SnapshotPresenceInfo("offsite", PresenceStatus.Present, stamp, null)),
                ("aa04", new SnapshotPresenceInfo("offsite", PresenceStatus.Missing, null, null)),
                ("aa05", new SnapshotPresenceInfo("offsite", PresenceStatus.Present, earlier, null)),
            ],
            await OffsitePresenceAsync());
        var other = Assert.Single(await Store.ListSnapshotsAsync("other", Ct));
        Assert.Equal(["local"], other.Presence.Select(p => p.TargetName));

        // A failed copy reports nothing present: nothing changes and no row is added twice.
        await Store.RecordCopyPresenceAsync("home", "offsite", [], copiedAt.AddDays(1), Ct);
        var after = await OffsitePresenceAsync();
        Assert.Equal(5, after.Count);
        Assert.Equal(new SnapshotPresenceInfo("offsite", PresenceStatus.Missing, null, null), after.Single(p => p.Id == "aa04").Presence);
        await using (var db = Harness.Db())
        {
            Assert.Equal(11, await db.SnapshotPresence.CountAsync());
        }

        var unknown = await Assert.ThrowsAsync<CatalogException>(() => Store.RecordCopyPresenceAsync("home", "nowhere", [], copiedAt, Ct));
        Assert.Equal("target 'nowhere' is not in the catalog (is it configured under Targets:nowhere?)", unknown.Message);
    }

    [Fact]
    public async Task Recovery_points_per_target_feed_the_rpo_calculator()
    {
        await SeedAsync();
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "local", CatalogHarness.Start.AddHours(1), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa02", 24), "local", CatalogHarness.Start.AddHours(25), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "offsite", CatalogHarness.Start.AddHours(6), Ct);
        await Store.SetPresenceAsync("aa02", "offsite", PresenceStatus.Copying, null, null, Ct);

        var local = await Store.GetRecoveryPointsAsync("home", "local", Ct);
        var offsite = await Store.GetRecoveryPointsAsync("home", "offsite", Ct);

        Assert.Equal(
            [new CompletedRecoveryPoint(CatalogHarness.Start, CatalogHarness.Start.AddHours(1)), new CompletedRecoveryPoint(CatalogHarness.Start.AddHours(24), CatalogHarness.Start.AddHours(25))],
            local);
        Assert.Equal([new CompletedRecoveryPoint(CatalogHarness.Start, CatalogHarness.Start.AddHours(6))], offsite);
        var now = CatalogHarness.Start.AddHours(30);
        Assert.Equal(TimeSpan.FromHours(6), RpoCalculator.CurrentExposure(local, now));
        Assert.Equal(TimeSpan.FromHours(30), RpoCalculator.CurrentExposure(offsite, now));
    }

    [Fact]
    public async Task The_newest_snapshot_present_on_a_target_is_a_backups_parent()
    {
        await SeedAsync();
        Assert.Null(await Store.GetNewestSnapshotIdAsync("home", "local", Ct));
        await Store.RecordSnapshotAsync("home", Snapshot("aa02", 24), "local", CatalogHarness.Start.AddHours(25), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "local", CatalogHarness.Start.AddHours(1), Ct);
        await Store.RecordSnapshotAsync("home", Snapshot("aa03", 48), "offsite", CatalogHarness.Start.AddHours(49), Ct);
        await Store.SetPresenceAsync("aa03", "local", PresenceStatus.Missing, null, null, Ct);

        // By recovery point, not by insertion order; a snapshot missing on the target does not count.
        Assert.Equal("aa02", await Store.GetNewestSnapshotIdAsync("home", "local", Ct));
        Assert.Equal("aa03", await Store.GetNewestSnapshotIdAsync("home", "offsite", Ct));
        await Store.UpsertPolicyAsync(TestPolicies.Named("other"), Ct);
        Assert.Null(await Store.GetNewestSnapshotIdAsync("other", "local", Ct));
    }

    [Fact]
    public async Task Record_drill_and_list_drills()
    {
        await SeedAsync();
        await Store.RecordSnapshotAsync("home", Snapshot("aa01", 0), "local", CatalogHarness.Start, Ct);
        long drill = await Store.StartRunAsync("home", RunKind.Drill, "local", Ct);
        DrillMismatch[] mismatches =
        [
            new("/data/a.bin", new string('a', 64), new string('b', 64), "SHA-256 differs"),
            new("/data/b.bin", new string('c', 64), null, "not restored: authentication tag did not match"),
        ];

        await Store.RecordDrillAsync(
            drill,
            new DrillOutcomeInput("aa01", DrillOutcome.Failed, 1_234, 5_000_000, TimeSpan.FromSeconds(95.5), TimeSpan.FromMinutes(30), mismatches),
            Ct);

        var record = Assert.Single(await Store.ListDrillsAsync("home", Ct));
        Assert.Equal(
            new DrillRecord(drill, "home", "local", "aa01", DrillOutcome.Failed, 1_234, 5_000_000, 2, TimeSpan.FromSeconds(95.5), TimeSpan.FromMinutes(30), CatalogHarness.Start),
            record);
        Assert.Equal(mismatches, await Store.ListDrillMismatchesAsync(drill, Ct));
        Assert.Empty(await Store.ListDrillsAsync("other", Ct));
        await using (var db = Harness.Db())
        {
            var row = await db.DrillResults.SingleAsync();
            Assert.Equal((drill, 1_234L, 2L, 95.5, DrillOutcome.Failed), (row.RunId, row.FilesVerified, row.Mismatches, row.RtoAchievedSeconds, row.Outcome));
        }

        long backup = await Store.StartRunAsync("home", RunKind.Backup, Ct);
        var passed = new DrillOutcomeInput("aa01", DrillOutcome.Passed, 1, 1, TimeSpan.FromSeconds(1), null, []);
        var notDrill = await Assert.ThrowsAsync<CatalogException>(() => Store.RecordDrillAsync(backup, passed, Ct));
        Assert.Equal($"run {backup} is a backup run, not a drill", notDrill.Message);
    }

    [Fact]
    public async Task Times_come_back_as_utc_instants_at_microsecond_precision()
    {
        await SeedAsync();
        var berlin = new DateTimeOffset(2026, 7, 1, 4, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        var snapshot = Snapshot("aa01", 0) with { Time = berlin, RecoveryPoint = berlin };

        await Store.RecordSnapshotAsync("home", snapshot, "local", berlin, Ct);

        var stored = Assert.Single(await Store.ListSnapshotsAsync("home", Ct));
        var expected = new DateTimeOffset(2026, 7, 1, 2, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);
        Assert.Equal(expected, stored.Figures.RecoveryPoint);
        Assert.Equal(TimeSpan.Zero, stored.Figures.RecoveryPoint.Offset);
        Assert.Equal(expected, stored.Presence[0].CompleteAt);
    }

    private async Task SeedAsync()
    {
        await Store.UpsertPolicyAsync(TestPolicies.Home(), Ct);
        await Store.UpsertTargetAsync(new CatalogTarget("local", "local", null), Ct);
        await Store.UpsertTargetAsync(new CatalogTarget("offsite", "s3", null), Ct);
    }

    private async Task<SnapshotPresenceInfo> PresenceAsync(string target) =>
        (await Store.ListSnapshotsAsync("home", Ct)).Single().Presence.Single(p => p.TargetName == target);

    private async Task<List<(string Id, SnapshotPresenceInfo Presence)>> OffsitePresenceAsync() =>
        [.. (await Store.ListSnapshotsAsync("home", Ct))
            .SelectMany(s => s.Presence.Where(p => p.TargetName == "offsite").Select(p => (s.Figures.SnapshotId, p)))
            .OrderBy(s => s.SnapshotId, StringComparer.Ordinal)];

    private static SnapshotFigures Snapshot(string id, double hoursAfterStart) => new(
        id,
        SnapshotKind.Files,
        CatalogHarness.Start.AddHours(hoursAfterStart).AddMinutes(-1),
        CatalogHarness.Start.AddHours(hoursAfterStart),
        "host1",
        "tree" + id,
        null,
        10,
        3,
        5_000,
        2_000,
        1_500);
}
