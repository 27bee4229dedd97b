using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Drill;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Testing.MariaDb;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Orchestration.Tests.DatabaseDrills;

/// <summary>Drills of a MariaDB source against a real server: scratch database restored, fingerprint and CHECK TABLE pass, dropped.</summary>
[Collection(MariaDbDrillCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MariaDbDrillTests(MariaDbDrillFixture fixture) : IAsyncLifetime
{
    private OrchestrationSandbox _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await OrchestrationSandbox.CreateAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_mariadb_drill_restores_into_a_scratch_database_matches_the_fingerprint_and_drops_it()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("shop");
        await server.ExecuteAsync("""
            CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(100), total DECIMAL(12,2), KEY by_customer (customer)) ENGINE=InnoDB;
            INSERT INTO orders SELECT seq, CONCAT('customer ', seq), seq * 1.5 FROM seq_1_to_500;
            CREATE TABLE notes (body TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
            INSERT INTO notes VALUES ('ünïcödé ✓'), (NULL);
            """, db);
        await DatabaseDrillPolicies.ApplyAsync(_sandbox, "maria", $"""
              - type: mariadb
                name: maria
                host: 127.0.0.1
                port: {server.Port}
                user: {MariaDbServer.User}
                passwordEnvironmentVariable: {MariaDbDrillFixture.PasswordVariable}
                databases: [{db}]
            """);
        await _sandbox.Get<PolicyBackupService>().BackupAsync("maria", null, CancellationToken.None);

        var outcomes = await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("maria"), null, CancellationToken.None);

        Assert.All(outcomes, o => Assert.Equal((DrillOutcome.Passed, 0, 1L), (o.Outcome, o.Mismatches.Count, o.FilesVerified)));
        Assert.Equal(2, outcomes.Count);
        Assert.Equal("", (await server.ExecuteAsync("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'drorch\\_drill\\_%'")).Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }
}

/// <summary>Drills of a SQLite source: the image restored into a scratch file inside the sandbox, fingerprint and PRAGMA integrity_check pass.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SqliteDrillTests : IAsyncLifetime
{
    private OrchestrationSandbox _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await OrchestrationSandbox.CreateAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_sqlite_drill_restores_into_a_scratch_file_in_the_sandbox_and_passes()
    {
        var file = Path.Combine(_sandbox.Root, "app.db");
        await using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, blob BLOB);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO items SELECT i, 'item ' || i, randomblob(64) FROM n;
                CREATE INDEX items_by_name ON items (name);
                """;
            await command.ExecuteNonQueryAsync();
        }

        await DatabaseDrillPolicies.ApplyAsync(_sandbox, "lite", $"""
              - type: sqlite
                name: lite
                path: {file}
            """);
        await _sandbox.Get<PolicyBackupService>().BackupAsync("lite", null, CancellationToken.None);

        var outcome = Assert.Single(await _sandbox.Get<DrillService>().DrillAsync(new DrillRequest("lite") { FromTarget = "offsite" }, null, CancellationToken.None));

        Assert.Equal((DrillOutcome.Passed, 0, 1L), (outcome.Outcome, outcome.Mismatches.Count, outcome.FilesVerified));
        Assert.Equal(DrillOutcome.Passed, Assert.Single(await _sandbox.Catalog.ListDrillsAsync("lite", CancellationToken.None)).Outcome);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_sandbox.DrillRoot));
    }
}

internal static class DatabaseDrillPolicies
{
    /// <summary>Writes and applies a policy with the given source list entries (YAML, indented two spaces), targets main (primary) and offsite (replica).</summary>
    public static async Task ApplyAsync(OrchestrationSandbox sandbox, string name, string sources)
    {
        var path = Path.Combine(sandbox.Root, name + ".yaml");
        await File.WriteAllTextAsync(path, $"""
            name: {name}
            sources:
            {sources}
            targets:
              - name: main
                role: primary
              - name: offsite
                role: replica
            schedule: {"{"} cron: "0 0 2 * * ?", timeZone: UTC {"}"}
            rpo: 24h
            rto: 1h
            retention: {"{"} keepLast: 7 {"}"}
            """);
        await sandbox.Get<PolicyApplyService>().ApplyAsync(path, CancellationToken.None);
    }
}
