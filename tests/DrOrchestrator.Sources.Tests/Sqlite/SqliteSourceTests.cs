using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Sources.Sqlite;
using DrOrchestrator.Sources.Tests.Conformance;
using DrOrchestrator.Sources.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace DrOrchestrator.Sources.Tests.Sqlite;

/// <summary>A SQLite database file in a temp directory, with tables of every storage class.</summary>
public sealed class SqliteDatabase : IDisposable
{
    public SqliteDatabase()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("drorch-sqlite-test-").FullName;
        Path = System.IO.Path.Combine(Directory, "app.db");
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, blob BLOB, note TEXT);
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000)
            INSERT INTO items SELECT n, 'ïtem ✓ ' || n, n * 0.25, randomblob(64), CASE WHEN n % 3 = 0 THEN NULL ELSE 'n' || n END FROM g;
            CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT);
            CREATE INDEX items_name ON items (name);
            """);
    }

    public string Directory { get; }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long Count(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    public DatabaseSource Source(string name = "app-db") =>
        new(DatabaseSource.SqliteType, name, null, null, null, null, [], null, null, false, false, null, Path);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

public sealed class SqliteSourceConformanceTests : BackupSourceConformanceTests, IDisposable
{
    private readonly SqliteDatabase _database = new();

    protected override string ExpectedType => "sqlite";

    protected override bool HasManifest => true;

    protected override Task<IBackupSource> CreateSourceAsync() =>
        Task.FromResult(new SqliteEngine(NullLogger<SqliteEngine>.Instance).CreateSource(_database.Source()));

    public void Dispose() => _database.Dispose();
}

/// <summary>The SQLite round trip of the issue: backed up while another connection writes, restored, integrity-checked and fingerprint-compared.</summary>
public sealed class SqliteSourceTests : IDisposable
{
    private readonly SqliteDatabase _database = new();
    private readonly SqliteEngine _engine = new(NullLogger<SqliteEngine>.Instance);

    [Fact]
    public async Task A_database_backed_up_while_another_connection_writes_restores_with_a_matching_fingerprint()
    {
        var repository = await Repositories.NewSmallAsync();
        using var stop = new CancellationTokenSource();
        long writes = 0;
        var writer = Task.Run(() =>
        {
            using var connection = _database.Open();
            while (!stop.IsCancellationRequested)
            {
                SqliteDatabase.Execute(connection, "INSERT INTO events (at) VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'))");
                Interlocked.Increment(ref writes);
            }
        });
        while (Interlocked.Read(ref writes) < 200)
        {
            await Task.Delay(10);
        }

        BackupResultWithCount backup;
        try
        {
            var result = await SourceBackupRunner.RunAsync(repository, [_engine.CreateSource(_database.Source())], new SnapshotRequest("app", null, null), null, CancellationToken.None);
            backup = new BackupResultWithCount(result.Snapshot, Interlocked.Read(ref writes));
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        var manifest = await SnapshotItems.LoadManifestAsync(repository, Assert.Single(backup.Snapshot.Sources!), CancellationToken.None);
        var dump = Assert.Single(manifest.Databases);
        Assert.Equal("app-db/app.db", dump.Item);
        Assert.Equal(5000, dump.Tables.Single(t => t.Table == "items").Rows);
        Assert.InRange(dump.Tables.Single(t => t.Table == "events").Rows, 200, backup.WritesAfter);
        var destination = Path.Combine(_database.Directory, "restored", "app.db");

        var restored = await _engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, destination, overwrite: false), CancellationToken.None);

        Assert.Equal(dump.Tables.Count, restored.Tables);
        using (var check = new SqliteConnection($"Data Source={destination};Mode=ReadOnly;Pooling=False"))
        {
            await check.OpenAsync();
            Assert.Equal(dump.Tables, await SqliteFingerprint.ComputeAsync(check, CancellationToken.None));
            Assert.Equal(dump.Tables.Single(t => t.Table == "events").Rows, SqliteDatabase.Count(check, "SELECT count(*) FROM events"));
        }

        Assert.DoesNotContain(Directory.EnumerateFiles(Path.GetDirectoryName(destination)!), f => f.Contains(".drorch-", StringComparison.Ordinal));
        var refused = await Assert.ThrowsAsync<DatabaseRestoreRefusedException>(() =>
            _engine.RestoreAsync(Request(repository, backup.Snapshot, manifest, dump, destination, overwrite: false), CancellationToken.None));
        Assert.Equal($"--to-db: {destination} exists and is not empty; restore to a new file or pass --overwrite to replace it", refused.Message);
    }

    [Fact]
    public async Task A_restore_whose_fingerprint_differs_names_the_table_and_leaves_no_file()
    {
        var repository = await Repositories.NewSmallAsync();
        var result = await SourceBackupRunner.RunAsync(repository, [_engine.CreateSource(_database.Source())], new SnapshotRequest("app", null, null), null, CancellationToken.None);
        var manifest = await SnapshotItems.LoadManifestAsync(repository, result.Snapshot.Sources![0], CancellationToken.None);
        var dump = manifest.Databases[0];
        var tampered = dump with { Tables = [.. dump.Tables.Select(t => t.Table == "items" ? t with { Hash = "1" } : t)] };
        var destination = Path.Combine(_database.Directory, "restored.db");

        var e = await Assert.ThrowsAsync<FingerprintMismatchException>(() =>
            _engine.RestoreAsync(Request(repository, result.Snapshot, manifest, tampered, destination, overwrite: false), CancellationToken.None));

        Assert.StartsWith($"restored database {destination} does not match its backup fingerprint: table items: 5000 rows (hash 1) at backup, 5000 rows (hash ", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(destination));
        Assert.DoesNotContain(Directory.EnumerateFiles(_database.Directory), f => f.Contains(".drorch-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_database_file_fails_with_one_line_and_no_snapshot()
    {
        var repository = await Repositories.NewSmallAsync();
        var source = _database.Source() with { Path = Path.Combine(_database.Directory, "missing.db") };

        var e = await Assert.ThrowsAsync<SourceFailedException>(() =>
            SourceBackupRunner.RunAsync(repository, [_engine.CreateSource(source)], new SnapshotRequest("app", null, null), null, CancellationToken.None));

        Assert.Equal($"source app-db: SQLite database {source.Path} does not exist", e.Message);
        Assert.Empty((await Repositories.InspectAsync(repository)).Snapshots);
    }

    public void Dispose() => _database.Dispose();

    private static DatabaseRestoreRequest Request(BackupRepository repository, Snapshot snapshot, DatabaseManifest manifest, DatabaseDump dump, string destination, bool overwrite) =>
        new(manifest, dump, destination, null, overwrite, (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct));

    private sealed record BackupResultWithCount(Snapshot Snapshot, long WritesAfter);
}
