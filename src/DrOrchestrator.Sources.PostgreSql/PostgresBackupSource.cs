using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Backs up a PostgreSQL server's databases (see README.md): per database one transaction
/// (repeatable read, read only) exports its snapshot; in exactly that snapshot
/// <see cref="PostgresParallelDump"/> writes the schema (<c>pg_dump --snapshot</c>), one
/// <c>COPY … TO STDOUT</c> stream per table on <c>parallel</c> connections and the fingerprint,
/// straight into the repository (no temp file; plain and uncompressed so that unchanged rows give
/// unchanged chunks between runs). The recovery point is <c>now()</c> of that transaction (on a
/// standby: its last replay time).
/// </summary>
internal sealed class PostgresBackupSource(DatabaseSource source, PostgresSourceOptions options, ILogger logger) : IBackupSource
{
    private const string MaintenanceDatabase = "postgres";
    private readonly PostgresTools _tools = new(options);
    private readonly PostgresEndpoint _endpoint = PostgresEndpoint.From(source, options);

    public string Type => DatabaseSource.PostgresType;

    public IReadOnlyList<string> Entries => [source.Name];

    public async Task<SourceAdded> AddToAsync(RepositoryWriter writer, SourceBackupContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var pgDump = _tools.Locate("pg_dump");
        var (clientMajor, clientVersion) = await PostgresTools.VersionAsync(pgDump, ct).ConfigureAwait(false);
        var first = source.AllDatabases ? MaintenanceDatabase : source.Databases[0];
        string serverVersion;
        List<string> databases;
        await using (var connection = await _endpoint.OpenAsync(first, $"source {source.Name}", ct).ConfigureAwait(false))
        {
            serverVersion = connection.PostgreSqlVersion.ToString();
            PostgresTools.EnsureNotOlder("pg_dump", clientMajor, connection.PostgreSqlVersion.Major, source.Name);
            if (source.FromReplica)
            {
                await ReplicaLag.EnsureWithinAsync(connection, source, ct).ConfigureAwait(false);
            }

            databases = source.AllDatabases ? await ListDatabasesAsync(connection, ct).ConfigureAwait(false) : [.. source.Databases];
        }

        Log.BackupStarting(logger, source.Name, _endpoint.ToString(), serverVersion, databases.Count);
        var dumps = new List<DatabaseDump>();
        foreach (var database in databases)
        {
            dumps.Add(await DumpDatabaseAsync(writer, pgDump, database, ct).ConfigureAwait(false));
        }

        string? globalsItem = null;
        if (source.Globals)
        {
            globalsItem = $"{source.Name}/globals.sql";
            await DumpGlobalsAsync(writer, globalsItem, ct).ConfigureAwait(false);
        }

        var manifest = new DatabaseManifest(Type, serverVersion, clientVersion, dumps.Min(d => d.RecoveryPoint), dumps, globalsItem, source.Parallel);
        var manifestId = await writer.SaveBlobAsync(manifest.ToJson(), ct).ConfigureAwait(false);
        writer.AddSource(new SnapshotSource(Type, [source.Name], manifest.RecoveryPoint, [], [], [], manifestId));
        var bytes = dumps.Sum(d => d.TotalLength);
        return new SourceAdded(new SourceFigures(dumps.Count, 0, 0, 0, dumps.Count, bytes, bytes, 0, 0), [], []);
    }

    /// <summary>
    /// Tests only: called with the database and the exported snapshot's id before anything is
    /// dumped, while the snapshot can still be imported (the round-trip test dumps the source at
    /// exactly that snapshot with pg_dump to compare with the restored database).
    /// </summary>
    internal Func<string, string, CancellationToken, Task>? SnapshotExported { get; set; }

    /// <summary>
    /// Tests only: write the first format (one plain <c>pg_dump --snapshot</c> stream per
    /// database, §51), so the restore of snapshots taken before §59 stays tested.
    /// </summary>
    internal bool SingleStream { get; set; }

    /// <summary>
    /// Tests only: fingerprint on the server (<see cref="PostgresFingerprint.ServerSide"/>, the
    /// version before §65), so the restore of such snapshots in parts stays tested.
    /// </summary>
    internal bool ServerSideFingerprint { get; set; }

    private async Task<DatabaseDump> DumpDatabaseAsync(RepositoryWriter writer, string pgDump, string database, CancellationToken ct)
    {
        var what = $"source {source.Name}: dump of database {database}";
        await using var exporter = await _endpoint.OpenAsync(database, $"source {source.Name}", ct).ConfigureAwait(false);
        await ExecuteAsync(exporter, null, PostgresCopy.SessionSettings, ct).ConfigureAwait(false);
        await using var transaction = await exporter.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        await ExecuteAsync(exporter, transaction, "SET TRANSACTION READ ONLY", ct).ConfigureAwait(false);
        // The first query takes the transaction's snapshot: pg_dump, the COPY workers and the fingerprint see exactly it.
        string snapshot;
        DateTimeOffset recoveryPoint;
        await using (var export = new NpgsqlCommand(
            "SELECT pg_export_snapshot(), CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() ELSE now() END", exporter, transaction))
        await using (var reader = await export.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            snapshot = reader.GetString(0);
            recoveryPoint = reader.IsDBNull(1) ? DateTimeOffset.UtcNow : reader.GetFieldValue<DateTimeOffset>(1);
        }

        if (SnapshotExported is { } exported)
        {
            await exported(database, snapshot, ct).ConfigureAwait(false);
        }

        var dump = SingleStream
            ? await DumpSingleStreamAsync(writer, pgDump, database, exporter, transaction, snapshot, what, ct).ConfigureAwait(false)
            : await new PostgresParallelDump(writer, _endpoint, source, pgDump, database, what, source.Parallel, options.SplitTableBytes, logger,
                ServerSideFingerprint ? PostgresFingerprint.ServerSide : PostgresFingerprint.ClientSide)
                .RunAsync(exporter, transaction, snapshot, ct).ConfigureAwait(false);
        dump = dump with { RecoveryPoint = recoveryPoint };
        Log.DatabaseDumped(logger, source.Name, database, dump.TotalLength, dump.Tables.Count, PostgresFingerprint.TotalRows(dump.Tables), recoveryPoint);
        return dump;
    }

    private async Task<DatabaseDump> DumpSingleStreamAsync(
        RepositoryWriter writer, string pgDump, string database, NpgsqlConnection connection, NpgsqlTransaction transaction, string snapshot, string what, CancellationToken ct)
    {
        var item = $"{source.Name}/{database}/dump.sql";
        var dump = ToolProcess.Start(
            pgDump,
            [.. _endpoint.ToolArguments(database), "--snapshot=" + snapshot, "--format=plain", "--no-sync", "--encoding=UTF8"],
            _endpoint.ToolEnvironment(),
            _endpoint.Secrets());
        await using (dump.ConfigureAwait(false))
        {
            var fingerprint = PostgresFingerprint.ComputeAsync(connection, transaction, ct);
            StoredStream stored;
            try
            {
                stored = await writer.AddStreamAsync(item, dump.Output, ct).ConfigureAwait(false);
                // A dump that ends early (the tool died, the server went away) ends its stream like a complete one: only the exit code tells.
                await dump.WaitForSuccessAsync(what, ct).ConfigureAwait(false);
            }
            finally
            {
                // The fingerprint shares the transaction; let it finish (or fail) before the transaction is disposed.
                await ((Task)fingerprint).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            var tables = await fingerprint.ConfigureAwait(false);
            return new DatabaseDump(database, item, default, stored.Sha256, stored.Length, tables);
        }
    }

    private async Task DumpGlobalsAsync(RepositoryWriter writer, string item, CancellationToken ct)
    {
        var pgDumpAll = _tools.Locate("pg_dumpall");
        var dump = ToolProcess.Start(
            pgDumpAll,
            [.. _endpoint.ToolArguments(MaintenanceDatabase), "--globals-only"],
            _endpoint.ToolEnvironment(),
            _endpoint.Secrets());
        await using (dump.ConfigureAwait(false))
        {
            await writer.AddStreamAsync(item, dump.Output, ct).ConfigureAwait(false);
            await dump.WaitForSuccessAsync($"source {source.Name}: dump of roles and tablespaces", ct).ConfigureAwait(false);
        }
    }

    private static async Task<List<string>> ListDatabasesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname", connection);
        return await command.ReadFirstColumnAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
