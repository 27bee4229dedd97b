using System.Globalization;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.Tests.Conformance;
using DrOrchestrator.Sources.Tests.Support;
using MySqlConnector;

namespace DrOrchestrator.Sources.Tests.MariaDb;

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbSourceConformanceTests(MariaDbFixture fixture) : BackupSourceConformanceTests
{
    protected override string ExpectedType => "mariadb";

    protected override bool HasManifest => true;

    protected override async Task<IBackupSource> CreateSourceAsync() =>
        MariaDbFixture.Engine().CreateSource(fixture.Source([await MariaDbSourceTests.CreateShopAsync(fixture)]));
}

/// <summary>The MariaDB round trip: backed up while another connection writes, restored into a new database, fingerprint compared; routines, triggers and events come back.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbSourceTests(MariaDbFixture fixture)
{
    public static async Task<string> CreateShopAsync(MariaDbFixture fixture)
    {
        var db = await fixture.Server.CreateDatabaseAsync("shop");
        await fixture.Server.ExecuteAsync("""
            CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(100) CHARACTER SET utf8mb4, total DECIMAL(12,2), payload BLOB, placed DATETIME(3), note TEXT) ENGINE=InnoDB;
            INSERT INTO orders (customer, total, payload, placed, note)
              SELECT CONCAT('kündé ✓ ', seq), seq * 1.25, UNHEX(MD5(seq)), '2026-01-01 00:00:00' + INTERVAL seq MINUTE, IF(seq % 3 = 0, NULL, 'n')
              FROM seq_1_to_3000;
            CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT, at DATETIME(6)) ENGINE=InnoDB;
            CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (order_id, at) VALUES (NEW.id, NOW(6));
            CREATE FUNCTION order_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM orders);
            CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE at < NOW() - INTERVAL 30 DAY;
            """, db);
        return db;
    }

    [Fact]
    public async Task A_database_backed_up_while_another_connection_writes_restores_with_matching_fingerprint_routines_triggers_and_events()
    {
        var db = await CreateShopAsync(fixture);
        var repository = await Repositories.NewSmallAsync();
        var engine = MariaDbFixture.Engine();
        using var stop = new CancellationTokenSource();
        long inserted = 0;
        var writer = Task.Run(async () =>
        {
            await using var connection = await OpenAsync(db);
            while (!stop.IsCancellationRequested)
            {
                await using var command = new MySqlCommand("INSERT INTO orders (customer, total, placed) VALUES ('writer', 1, NOW(3))", connection);
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref inserted);
            }
        });
        while (Interlocked.Read(ref inserted) < 50)
        {
            await Task.Delay(10);
        }

        Snapshot snapshot;
        long after;
        try
        {
            snapshot = (await SourceBackupRunner.RunAsync(repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest("shop", null, null), null, CancellationToken.None)).Snapshot;
            after = Interlocked.Read(ref inserted);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        var manifest = await SnapshotItems.LoadManifestAsync(repository, Assert.Single(snapshot.Sources!), CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        var orders = dump.Tables.Single(t => t.Table == "orders").Rows;
        Assert.InRange(orders, 3000 + 50, 3000 + after);
        // The trigger wrote one audit row per insert: equal counts show dump and fingerprint saw one state.
        Assert.Equal(orders - 3000, dump.Tables.Single(t => t.Table == "audit").Rows);

        var restored = $"restored_{Guid.NewGuid():N}";
        var result = await engine.RestoreAsync(
            new DatabaseRestoreRequest(manifest, dump, fixture.Reference(restored), new SecretReference(MariaDbFixture.PasswordVariable, null), false,
                (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct)),
            CancellationToken.None);

        Assert.Equal(2, result.Tables);
        Assert.Equal((orders + orders - 3000).ToString(CultureInfo.InvariantCulture), (await fixture.Server.ExecuteAsync("SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM audit)", restored)).Trim());
        Assert.Equal(orders.ToString(CultureInfo.InvariantCulture), (await fixture.Server.ExecuteAsync("SELECT order_count()", restored)).Trim());
        Assert.Equal("orders_audit", (await fixture.Server.ExecuteAsync($"SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{restored}'")).Trim());
        Assert.Equal("nightly", (await fixture.Server.ExecuteAsync($"SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{restored}'")).Trim());

        var refused = await Assert.ThrowsAsync<DatabaseRestoreRefusedException>(() => engine.RestoreAsync(
            new DatabaseRestoreRequest(manifest, dump, fixture.Reference(restored), new SecretReference(MariaDbFixture.PasswordVariable, null), false,
                (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct)),
            CancellationToken.None));
        Assert.Equal($"--to-db: database {restored} at 127.0.0.1:{fixture.Server.Port} as drorch is not empty (3 tables or routines); restore into a new database or pass --overwrite to replace it", refused.Message);
    }

    [Fact]
    public async Task Wrong_credentials_fail_with_one_line_and_no_snapshot()
    {
        Environment.SetEnvironmentVariable("DRORCH_TEST_WRONG_MARIADB_PASSWORD", "not-the-password");
        var repository = await Repositories.NewSmallAsync();
        var source = fixture.Source(["mysql"]) with { PasswordEnvironmentVariable = "DRORCH_TEST_WRONG_MARIADB_PASSWORD" };

        var e = await Assert.ThrowsAsync<SourceFailedException>(() =>
            SourceBackupRunner.RunAsync(repository, [MariaDbFixture.Engine().CreateSource(source)], new SnapshotRequest("shop", null, null), null, CancellationToken.None));

        Assert.StartsWith($"source maria: cannot connect to MariaDB at 127.0.0.1:{fixture.Server.Port} as drorch: Access denied for user 'drorch'@", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", e.Message, StringComparison.Ordinal);
        Assert.Empty((await Repositories.InspectAsync(repository)).Snapshots);
    }

    private async Task<MySqlConnection> OpenAsync(string db)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = "127.0.0.1", Port = (uint)fixture.Server.Port, UserID = "drorch", Password = fixture.Server.Password, Database = db, Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
