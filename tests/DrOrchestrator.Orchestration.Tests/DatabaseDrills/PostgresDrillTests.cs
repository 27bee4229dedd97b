using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Drill;
using DrOrchestrator.Testing.Postgres;
using Npgsql;

namespace DrOrchestrator.Orchestration.Tests.DatabaseDrills;

/// <summary>
/// Drills of a PostgreSQL source against a real server: the dump is restored into a scratch
/// database, checked against the backup's fingerprint and by amcheck, and the scratch database is
/// dropped — after a pass, after a fingerprint mismatch (which names the table), after a
/// cancellation; a scratch database of a dead drill process is dropped by the next drill.
/// </summary>
[Collection(PostgresDrillCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PostgresDrillTests(PostgresDrillFixture fixture) : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private OrchestrationSandbox _sandbox = null!;

    private PostgresServer Server => fixture.Server;

    public async Task InitializeAsync() => _sandbox = await OrchestrationSandbox.CreateAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_database_drill_restores_into_a_scratch_database_matches_the_fingerprint_and_drops_it()
    {
        var db = await Server.CreateDatabaseAsync("shop");
        await Server.ExecuteAsync(db, """
            CREATE SCHEMA sales;
            CREATE TABLE sales.orders (id int PRIMARY KEY, customer text, total numeric(12,2));
            INSERT INTO sales.orders SELECT g, 'customer ' || g, g * 1.5 FROM generate_series(1, 500) g;
            CREATE INDEX ON sales.orders (customer);
            CREATE TABLE notes (body text);
            INSERT INTO notes VALUES ('ünïcödé ✓'), (NULL);
            """);
        await ApplyPolicyAsync("shop", db);
        var backup = await _sandbox.Get<PolicyBackupService>().BackupAsync("shop", null, None);

        var outcomes = await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("shop"), null, None);

        Assert.Equal(["main", "offsite"], outcomes.Select(o => o.Target));
        Assert.All(outcomes, o =>
        {
            Assert.Equal((DrillOutcome.Passed, backup.Results[0].Snapshot.Id), (o.Outcome, o.SnapshotId));
            Assert.Empty(o.Mismatches);
            // The dump's items, each SHA-256-verified as a file: schema.sql, the two tables' COPY streams, post-data.sql (§59).
            Assert.Equal(4L, o.FilesVerified);
        });
        var drills = await _sandbox.Catalog.ListDrillsAsync("shop", None);
        Assert.All(drills, d => Assert.Equal((DrillOutcome.Passed, 0L), (d.Outcome, d.Mismatches)));
        Assert.Empty(await ScratchDatabasesAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    [Fact]
    public async Task A_restored_table_that_differs_from_its_fingerprint_fails_the_drill_naming_the_table_and_drops_the_scratch_database()
    {
        // A generated column whose function claims to be immutable but reads a session setting: the
        // rows as backed up say 'backup', a restore recomputes them without the setting. The dump
        // is byte-for-byte what pg_dump wrote; only the fingerprint can tell the restored table differs.
        var db = await Server.CreateDatabaseAsync("lying");
        await Server.ExecuteAsync(db, """
            CREATE FUNCTION stamp(i int) RETURNS text LANGUAGE plpgsql IMMUTABLE
                AS $$ BEGIN RETURN i::text || ':' || coalesce(current_setting('drorch.salt', true), 'unset'); END $$;
            CREATE TABLE stamped (id int PRIMARY KEY, stamp text GENERATED ALWAYS AS (stamp(id)) STORED);
            CREATE TABLE honest (id int PRIMARY KEY);
            INSERT INTO honest SELECT generate_series(1, 5);
            SET drorch.salt = 'backup';
            INSERT INTO stamped (id) SELECT generate_series(1, 10);
            """);
        await ApplyPolicyAsync("lying", db);
        await _sandbox.Get<PolicyBackupService>().BackupAsync("lying", null, None);

        var outcome = Assert.Single(await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("lying") { FromTarget = "main" }, null, None));

        Assert.Equal(DrillOutcome.Failed, outcome.Outcome);
        var mismatch = Assert.Single(outcome.Mismatches);
        Assert.Equal($"pg/{db}/public.stamped", mismatch.Path);
        Assert.StartsWith("10 rows, hash ", mismatch.Expected, StringComparison.Ordinal);
        Assert.StartsWith("10 rows, hash ", mismatch.Actual, StringComparison.Ordinal);
        Assert.NotEqual(mismatch.Expected, mismatch.Actual);
        Assert.StartsWith("fingerprint differs: table public.stamped: 10 rows (hash ", mismatch.Reason, StringComparison.Ordinal);
        Assert.Equal([mismatch], await _sandbox.Catalog.ListDrillMismatchesAsync(outcome.RunId, None));
        var run = await _sandbox.Catalog.GetRunAsync(outcome.RunId, None);
        Assert.Equal(RunStatus.Failed, run!.Status);
        Assert.Contains("public.stamped", run.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(run.Errors, e => e.Path == $"pg/{db}/public.stamped");
        Assert.Empty(await ScratchDatabasesAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }

    [Fact]
    public async Task A_drill_cancelled_while_the_scratch_database_is_being_restored_drops_it()
    {
        var db = await Server.CreateDatabaseAsync("big");
        await Server.ExecuteAsync(db, """
            CREATE TABLE events (id bigint PRIMARY KEY, body text);
            INSERT INTO events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 300000) g;
            CREATE INDEX ON events (body);
            """);
        await ApplyPolicyAsync("big", db);
        await _sandbox.Get<PolicyBackupService>().BackupAsync("big", null, None);
        using var cancellation = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!cancellation.IsCancellationRequested && (await ScratchDatabasesAsync()).Count == 0)
            {
                await Task.Delay(20);
            }

            await cancellation.CancelAsync();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("big") { FromTarget = "main" }, null, cancellation.Token));
        await watcher;

        Assert.Empty(await ScratchDatabasesAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
        var run = Assert.Single(await _sandbox.Catalog.ListRunsAsync("big", 10, None), r => r.Kind == RunKind.Drill);
        Assert.Equal(RunStatus.Cancelled, run.Status);
    }

    [Fact]
    public async Task A_scratch_database_of_a_dead_drill_process_is_dropped_by_the_next_drill_and_a_live_ones_is_kept()
    {
        var db = await Server.CreateDatabaseAsync("sweep");
        await Server.ExecuteAsync(db, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
        await ApplyPolicyAsync("sweep", db);
        await _sandbox.Get<PolicyBackupService>().BackupAsync("sweep", null, None);
        var dead = $"{ScratchDatabaseName.HostPrefix}{await DeadProcessIdAsync()}_{DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds()}_0badc0de";
        var self = RunProcess.Current;
        var live = $"{ScratchDatabaseName.HostPrefix}{self.ProcessId}_{self.StartedAt.ToUnixTimeMilliseconds()}_5afe5afe";
        var otherHost = $"{ScratchDatabaseName.Prefix}00000000_1_1_00000000";
        foreach (var name in new[] { dead, live, otherHost })
        {
            await Server.ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
            await Server.ExecuteAsync(name, "CREATE TABLE left_by_a_killed_drill (id int)");
        }

        try
        {
            var outcome = Assert.Single(await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("sweep") { FromTarget = "main" }, null, None));

            Assert.Equal(DrillOutcome.Passed, outcome.Outcome);
            Assert.Equal([otherHost, live], await ScratchDatabasesAsync());
        }
        finally
        {
            foreach (var name in await ScratchDatabasesAsync())
            {
                await Server.ExecuteAsync("postgres", $"DROP DATABASE \"{name}\" WITH (FORCE)");
            }
        }
    }

    private Task ApplyPolicyAsync(string name, string database) => DatabaseDrillPolicies.ApplyAsync(_sandbox, name, $"""
          - type: postgres
            name: pg
            host: 127.0.0.1
            port: {Server.Port}
            user: {PostgresServer.User}
            passwordEnvironmentVariable: {PostgresDrillFixture.PasswordVariable}
            databases: [{database}]
        """);

    private async Task<List<string>> ScratchDatabasesAsync()
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionStringWithPassword("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'drorch\\_drill\\_%'", connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    internal static async Task<int> DeadProcessIdAsync()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}
