using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.PostgreSql;
using DrOrchestrator.Sources.Tests.Support;
using DrOrchestrator.Testing.Postgres;
using Npgsql;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>
/// The must-show PostgreSQL round trip: a pgbench -s 10 database plus a table of awkward
/// types, backed up while pgbench writes to it, restored into a new database; the restore's own
/// fingerprint check passes, an independent fingerprint of the restored database equals the
/// manifest's, and a pg_dump of the restored database equals the stored pg_dump --snapshot
/// (docs/decisions.md §51 explains the comparison). Then the dedup figure of a second backup.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRoundTripTests(PostgresFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task A_pgbench_database_backed_up_while_pgbench_writes_restores_with_matching_fingerprint_and_dump()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("shop");
        await server.RunClientAsync("pgbench", [.. Connection(db), "-i", "-s", "10", "-q"], Slow);
        await server.ExecuteAsync(db, AwkwardTypes);
        var repository = await Repositories.NewAsync();
        var engine = PostgresFixture.Engine();

        var historyBefore = await CountAsync(db, "pgbench_history");
        BackupResultFigures backup;
        var writer = ToolProcess.Start(
            Path.Combine(server.BinDirectory, "pgbench"), [.. Connection(db), "-n", "-c", "2", "-T", "600"],
            new Dictionary<string, string?> { ["PGPASSWORD"] = server.Password }, []);
        await using (writer)
        {
            await WaitUntilAsync(async () => await CountAsync(db, "pgbench_history") > historyBefore + 50);
            var result = await SourceBackupRunner.RunAsync(
                repository, [engine.CreateSource(fixture.Source([db]))], new SnapshotRequest("shop", null, null), null, CancellationToken.None);
            backup = new BackupResultFigures(result.Snapshot, await CountAsync(db, "pgbench_history"));
        }

        var record = Assert.Single(backup.Snapshot.Sources!);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, record, CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        // Taken while pgbench wrote: the history at the recovery point lies strictly between before and after.
        var history = dump.Tables.Single(t => t.Table == "public.pgbench_history").Rows;
        Assert.InRange(history, historyBefore + 51, backup.HistoryAfter - 1);
        Assert.Equal(1_000_000, dump.Tables.Single(t => t.Table == "public.pgbench_accounts").Rows);
        Assert.Equal(1000, dump.Tables.Single(t => t.Table == "public.awkward").Rows);
        Assert.True(dump.Tables.Single(t => t.Table == "pg_largeobject").Rows > 1, "the large object spans several pages");
        Assert.Equal(dump.RecoveryPoint, backup.Snapshot.RecoveryPoint);

        var restored = $"restored_{Guid.NewGuid():N}";
        var result2 = await engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, fixture.Reference(restored)), CancellationToken.None);

        // (a) the restore verified the fingerprint; check it independently too.
        Assert.Equal(dump.Tables.Count, result2.Tables);
        var endpoint = new PostgresEndpoint("127.0.0.1", server.Port, PostgresServer.User, new SecretReference(PostgresFixture.PasswordVariable, null), TimeSpan.FromSeconds(5));
        var again = await PostgresRestorer.FingerprintAsync(endpoint, restored, CancellationToken.None);
        Assert.Equal(dump.Tables, again);
        Assert.Equal("happy", await ScalarAsync(restored, "SELECT feeling::text FROM awkward WHERE id = 2"));
        Assert.Equal("Grüße ✓ 日本語 1", await ScalarAsync(restored, "SELECT label FROM awkward WHERE id = 1"));

        // (b) a pg_dump of the restored database equals the stored pg_dump --snapshot of the source.
        var storedDigest = await DumpDigestAsync(await SnapshotItems.OpenAsync(repository, backup.Snapshot, dump.Item, CancellationToken.None));
        var restoredDump = ToolProcess.Start(
            Path.Combine(server.BinDirectory, "pg_dump"), [.. Connection(restored), "--format=plain", "--encoding=UTF8"],
            new Dictionary<string, string?> { ["PGPASSWORD"] = server.Password }, []);
        string restoredDigest;
        await using (restoredDump)
        {
            restoredDigest = await DumpDigestAsync(restoredDump.Output);
            await restoredDump.WaitForSuccessAsync("pg_dump of the restored database", CancellationToken.None);
        }

        Assert.Equal(storedDigest, restoredDigest);
        output.WriteLine(
            $"dump {dump.Length:N0} bytes, backup {backup.Snapshot.Summary.Duration.TotalSeconds:F1} s (stored {backup.Snapshot.Summary.BytesStored:N0} bytes), " +
            $"pgbench_history {historyBefore} before / {history} at the recovery point / {backup.HistoryAfter} after");
    }

    [Fact]
    public async Task A_second_backup_after_changing_one_percent_of_rows_stores_under_15_percent_new_data()
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("dedup");
        await server.RunClientAsync("pgbench", [.. Connection(db), "-i", "-s", "10", "-q"], Slow);
        var repository = await Repositories.NewAsync();
        var source = PostgresFixture.Engine().CreateSource(fixture.Source([db]));
        var first = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("dedup", null, null), null, CancellationToken.None);

        // 1% of the accounts (10 000 of 1 000 000 rows), one contiguous key range.
        await server.ExecuteAsync(db, "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid BETWEEN 400001 AND 410000");
        var second = await SourceBackupRunner.RunAsync(repository, [source], new SnapshotRequest("dedup", first.Snapshot, null), null, CancellationToken.None);

        var ratio = (double)second.Snapshot.Summary.BytesNew / first.Snapshot.Summary.BytesNew;
        output.WriteLine(
            $"first: {first.Snapshot.Summary.BytesNew:N0} new bytes ({first.Snapshot.Summary.BytesStored:N0} stored) in {first.Snapshot.Summary.Duration.TotalSeconds:F1} s; " +
            $"second: {second.Snapshot.Summary.BytesNew:N0} new bytes ({second.Snapshot.Summary.BytesStored:N0} stored) = {ratio:P2}");
        Assert.True(first.Snapshot.Summary.BytesNew > 50_000_000, $"first backup stored {first.Snapshot.Summary.BytesNew} new bytes");
        Assert.True(ratio < 0.15, $"second backup stored {second.Snapshot.Summary.BytesNew} new bytes = {ratio:P1} of the first's {first.Snapshot.Summary.BytesNew}");
    }

    private const string AwkwardTypes = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE awkward (
            id serial PRIMARY KEY, label text, payload bytea, doc jsonb, amount numeric(30, 10),
            at timestamptz, feeling mood, picture oid);
        INSERT INTO awkward (label, payload, doc, amount, at, feeling, picture)
        SELECT 'Grüße ✓ 日本語 ' || g,
               decode(md5(g::text), 'hex') || '\x00ff'::bytea,
               jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'ü', g % 7), 'nested', jsonb_build_object('pi', 3.14159265358979)),
               g * 1234567.0123456789,
               '2026-01-01 00:00:00+01'::timestamptz + g * interval '61 minutes 7.25 seconds',
               (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::mood,
               CASE WHEN g = 1 THEN lo_from_bytea(0, '\x0102deadbeef'::bytea || convert_to(repeat('large object ✓ ', 20000), 'UTF8')) END
        FROM generate_series(1, 1000) g;
        """;

    private string[] Connection(string db) =>
        ["-h", "127.0.0.1", "-p", fixture.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", PostgresServer.User, db];

    private static DatabaseRestoreRequest Request(BackupRepository repository, Snapshot snapshot, DatabaseManifest manifest, DatabaseDump dump, string destination) =>
        new(manifest, dump, destination, new SecretReference(PostgresFixture.PasswordVariable, null), Overwrite: false,
            (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct));

    /// <summary>
    /// SHA-256 of a plain dump's lines without pg_dump's per-run <c>\restrict</c>/<c>\unrestrict</c>
    /// keys (random each run, so two dumps of the same data differ only there). Streamed.
    /// </summary>
    private static async Task<string> DumpDigestAsync(Stream dump)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var reader = new StreamReader(dump, Encoding.UTF8);
        long lines = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("\\restrict ", StringComparison.Ordinal) || line.StartsWith("\\unrestrict ", StringComparison.Ordinal))
            {
                continue;
            }

            sha.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            lines++;
        }

        Assert.True(lines > 1_000_000, $"the dump has only {lines} lines");
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private async Task<long> CountAsync(string db, string table) => Convert.ToInt64(await ScalarAsync(db, $"SELECT count(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string?> ScalarAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionStringWithPassword(db));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "pgbench made no progress within 2 minutes");
            await Task.Delay(100);
        }
    }

    private sealed record BackupResultFigures(Snapshot Snapshot, long HistoryAfter);
}
