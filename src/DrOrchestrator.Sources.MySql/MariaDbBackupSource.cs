using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// Backs up MariaDB/MySQL databases with <c>mariadb-dump --single-transaction --routines
/// --triggers --events</c>, streamed into the repository. The fingerprint must describe the same
/// state as the dump, whose snapshot the tool takes itself; so, as mydumper does, a global read
/// lock (<c>FLUSH TABLES WITH READ LOCK</c>) is held while this source opens its own consistent
/// snapshot and the dump opens its one, and released as soon as the dump has begun its first
/// table — no write can commit in between, so both snapshots see the same data.
/// </summary>
internal sealed class MariaDbBackupSource(DatabaseSource source, MariaDbSourceOptions options, ILogger logger) : IBackupSource
{
    private readonly MariaDbEndpoint _endpoint = MariaDbEndpoint.From(source, options);

    public string Type => DatabaseSource.MariaDbType;

    public IReadOnlyList<string> Entries => [source.Name];

    public async Task<SourceAdded> AddToAsync(RepositoryWriter writer, SourceBackupContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var dumpTool = MariaDbTools.Locate(options, "mariadb-dump", "mysqldump");
        string serverVersion;
        List<string> databases;
        await using (var connection = await _endpoint.OpenAsync(null, $"source {source.Name}", ct).ConfigureAwait(false))
        {
            serverVersion = connection.ServerVersion;
            databases = source.AllDatabases ? await ListDatabasesAsync(connection, ct).ConfigureAwait(false) : [.. source.Databases];
        }

        Log.BackupStarting(logger, source.Name, _endpoint.ToString(), serverVersion, databases.Count);
        var dumps = new List<DatabaseDump>();
        foreach (var database in databases)
        {
            dumps.Add(await DumpDatabaseAsync(writer, dumpTool, database, ct).ConfigureAwait(false));
        }

        var manifest = new DatabaseManifest(Type, serverVersion, Path.GetFileName(dumpTool), dumps.Min(d => d.RecoveryPoint), dumps, null);
        var manifestId = await writer.SaveBlobAsync(manifest.ToJson(), ct).ConfigureAwait(false);
        writer.AddSource(new SnapshotSource(Type, [source.Name], manifest.RecoveryPoint, [], [], [], manifestId));
        var bytes = dumps.Sum(d => d.Length);
        return new SourceAdded(new SourceFigures(dumps.Count, 0, 0, 0, dumps.Count, bytes, bytes, 0, 0), [], []);
    }

    private async Task<DatabaseDump> DumpDatabaseAsync(RepositoryWriter writer, string dumpTool, string database, CancellationToken ct)
    {
        var item = $"{source.Name}/{database}/dump.sql";
        var what = $"source {source.Name}: dump of database {database}";
        await using var locker = await _endpoint.OpenAsync(database, $"source {source.Name}", ct).ConfigureAwait(false);
        await using var snapshot = await _endpoint.OpenAsync(database, $"source {source.Name}", ct).ConfigureAwait(false);
        await ExecuteAsync(locker, "FLUSH TABLES WITH READ LOCK", ct).ConfigureAwait(false);
        var locked = true;
        try
        {
            await ExecuteAsync(snapshot, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET time_zone = '+00:00'; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", ct).ConfigureAwait(false);
            DateTimeOffset recoveryPoint;
            await using (var now = new MySqlCommand("SELECT UTC_TIMESTAMP(6)", snapshot))
            {
                recoveryPoint = new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await now.ExecuteScalarAsync(ct).ConfigureAwait(false))!, DateTimeKind.Utc));
            }

            var dump = ToolProcess.Start(
                dumpTool,
                [.. _endpoint.ToolArguments(), "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--tz-utc",
                 "--skip-dump-date", "--default-character-set=utf8mb4", database],
                _endpoint.ToolEnvironment(),
                _endpoint.Secrets());
            await using (dump.ConfigureAwait(false))
            {
                // The dump's transaction has begun once it writes its first table (or routine/event) section.
                var output = new SectionWatchStream(dump.Output, ["\n-- Table structure for table", "\n-- Dumping routines", "\n-- Dumping events"]);
                var unlock = output.FirstSection.ContinueWith(
                    async _ =>
                    {
                        await ExecuteAsync(locker, "UNLOCK TABLES", CancellationToken.None).ConfigureAwait(false);
                        locked = false;
                    },
                    CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                var fingerprint = MariaDbFingerprint.ComputeAsync(snapshot, database, ct);
                StoredStream stored;
                try
                {
                    stored = await writer.AddStreamAsync(item, output, ct).ConfigureAwait(false);
                    await dump.WaitForSuccessAsync(what, ct).ConfigureAwait(false);
                }
                finally
                {
                    output.Finish();
                    await unlock.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    await ((Task)fingerprint).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                var tables = await fingerprint.ConfigureAwait(false);
                Log.DatabaseDumped(logger, source.Name, database, stored.Length, tables.Count, tables.Sum(t => t.Rows), recoveryPoint);
                return new DatabaseDump(database, item, recoveryPoint, stored.Sha256, stored.Length, tables);
            }
        }
        finally
        {
            if (locked)
            {
                await ExecuteAsync(locker, "UNLOCK TABLES", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task<List<string>> ListDatabasesAsync(MySqlConnection connection, CancellationToken ct)
    {
        await using var command = new MySqlCommand(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY SCHEMA_NAME", connection);
        return await command.ReadFirstColumnAsync(ct).ConfigureAwait(false);
    }

    internal static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
