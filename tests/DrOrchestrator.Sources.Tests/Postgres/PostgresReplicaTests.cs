using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.PostgreSql;
using DrOrchestrator.Sources.Tests.Support;
using DrOrchestrator.Testing.Postgres;
using Npgsql;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>
/// <c>fromReplica</c> against a real hot standby of the fixture's server (pg_basebackup -R,
/// streaming replication on loopback): the recovery point is the standby's replay time, a standby
/// further behind than <c>maxReplicaLag</c> is refused with no snapshot, and a primary named as a
/// replica is refused. The standby is started once for this class.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReplicaTests(PostgresFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromMinutes(2);
    private PostgresServer? _standby;

    private PostgresServer Standby => _standby ?? throw new InvalidOperationException("the standby has not started");

    public async Task InitializeAsync() => _standby = await fixture.Server.StartStandbyAsync();

    public async Task DisposeAsync()
    {
        if (_standby is not null)
        {
            await _standby.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_backup_from_a_caught_up_standby_records_its_replay_time_and_restores_the_primarys_data()
    {
        var db = await fixture.CreateSmallDatabaseAsync();
        await fixture.Server.ExecuteAsync(db, "CREATE TABLE ledger AS SELECT g AS id, md5(g::text) AS entry FROM generate_series(1, 20000) g");
        await WaitForStandbyToReplayAsync();
        var engine = PostgresFixture.Engine();
        var repository = await Repositories.NewSmallAsync();

        var replayedBefore = await ReplayTimestampAsync();
        var result = await SourceBackupRunner.RunAsync(
            repository, [engine.CreateSource(ReplicaSource(db, TimeSpan.FromSeconds(30)))], new SnapshotRequest("p", null, null), null, CancellationToken.None);
        var replayedAfter = await ReplayTimestampAsync();

        // The snapshot holds the data as of the standby's last replayed transaction, which is what
        // it records (not the clock at backup time, which would overstate how recent the data is).
        var recoveryPoint = result.Snapshot.RecoveryPoint;
        Assert.InRange(recoveryPoint, replayedBefore - TimeSpan.FromSeconds(1), replayedAfter + TimeSpan.FromSeconds(1));

        // What came from the standby is the primary's data: restored into a new database on the primary,
        // the fingerprint recorded on the standby matches (the restore checks it) and so do the rows.
        var manifest = await SnapshotItems.LoadManifestAsync(repository, Assert.Single(result.Snapshot.Sources!), CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        Assert.Equal(recoveryPoint, dump.RecoveryPoint);
        Assert.Equal(20000, dump.Tables.Single(t => t.Table == "public.ledger").Rows);
        var restored = $"from_standby_{Guid.NewGuid():N}";
        var restore = await engine.RestoreAsync(
            new DatabaseRestoreRequest(manifest, dump, fixture.Reference(restored), new SecretReference(PostgresFixture.PasswordVariable, null), Overwrite: false,
                (item, ct) => SnapshotItems.OpenAsync(repository, result.Snapshot, item, ct)),
            CancellationToken.None);
        Assert.Equal(dump.Tables.Count, restore.Tables);
        Assert.Equal(
            await ScalarAsync(fixture.Server, db, "SELECT md5(string_agg(entry, ',' ORDER BY id)) FROM ledger"),
            await ScalarAsync(fixture.Server, restored, "SELECT md5(string_agg(entry, ',' ORDER BY id)) FROM ledger"));
    }

    [Fact]
    public async Task A_standby_further_behind_than_maxReplicaLag_is_refused_and_no_snapshot_is_taken()
    {
        var db = await fixture.CreateSmallDatabaseAsync();
        await WaitForStandbyToReplayAsync();
        await Standby.ExecuteAsync("postgres", "SELECT pg_wal_replay_pause()");
        try
        {
            // The primary moves on; the standby receives the WAL but does not replay it.
            await fixture.Server.ExecuteAsync(db, "INSERT INTO notes VALUES ('written while the standby is paused')");
            var lsn = await ScalarAsync(fixture.Server, "postgres", "SELECT pg_current_wal_lsn()::text");
            await WaitUntilAsync(async () => await ScalarAsync(Standby, "postgres", $"SELECT pg_last_wal_receive_lsn() >= '{lsn}'::pg_lsn") == "True");
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var repository = await Repositories.NewSmallAsync();

            var e = await Assert.ThrowsAsync<SourceFailedException>(() => SourceBackupRunner.RunAsync(
                repository, [PostgresFixture.Engine().CreateSource(ReplicaSource(db, TimeSpan.FromSeconds(2)))], new SnapshotRequest("p", null, null), null, CancellationToken.None));

            Assert.Matches(@"^source pg: the standby is \d+(\.\d)? s behind its primary, more than maxReplicaLag 2s; no snapshot was taken$", e.Message);
            var lag = double.Parse(e.Message.Split(' ')[5], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(lag, 2.0, 120.0);
            var (snapshots, findings) = await Repositories.InspectAsync(repository);
            Assert.Empty(snapshots);
            Assert.DoesNotContain(findings, f => f.Severity != Core.Check.CheckSeverity.Info);
        }
        finally
        {
            await Standby.ExecuteAsync("postgres", "SELECT pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task A_primary_named_as_a_replica_is_refused_with_no_snapshot()
    {
        var repository = await Repositories.NewSmallAsync();
        var source = fixture.Source(["postgres"]) with { FromReplica = true, MaxReplicaLag = TimeSpan.FromSeconds(30) };

        var e = await Assert.ThrowsAsync<SourceFailedException>(() => SourceBackupRunner.RunAsync(
            repository, [PostgresFixture.Engine().CreateSource(source)], new SnapshotRequest("p", null, null), null, CancellationToken.None));

        Assert.Equal("source pg: fromReplica is set but the server is not a standby (it is not in recovery)", e.Message);
        Assert.Empty((await Repositories.InspectAsync(repository)).Snapshots);
    }

    private Core.Policies.DatabaseSource ReplicaSource(string db, TimeSpan maxLag) =>
        fixture.Source([db], port: Standby.Port) with { FromReplica = true, MaxReplicaLag = maxLag };

    /// <summary>Waits until the standby has replayed everything the primary has written so far.</summary>
    private async Task WaitForStandbyToReplayAsync()
    {
        var lsn = await ScalarAsync(fixture.Server, "postgres", "SELECT pg_current_wal_lsn()::text");
        await WaitUntilAsync(async () => await ScalarAsync(Standby, "postgres", $"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "True");
    }

    private async Task<DateTimeOffset> ReplayTimestampAsync()
    {
        await using var connection = new NpgsqlConnection(Standby.ConnectionStringWithPassword("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_last_xact_replay_timestamp()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    private static async Task<string?> ScalarAsync(PostgresServer server, string db, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionStringWithPassword(db));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the standby did not catch up within 2 minutes");
            await Task.Delay(100);
        }
    }
}
