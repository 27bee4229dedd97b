using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Restores one dump into a new or empty database: the dump streams from the repository into
/// <c>psql --single-transaction</c> (so a failed restore leaves the database as it was), then the
/// restored database's fingerprint is computed the same way as at backup and compared.
/// </summary>
internal sealed class PostgresRestorer(PostgresSourceOptions options, ILogger logger)
{
    private const string MaintenanceDatabase = "postgres";
    private readonly PostgresTools _tools = new(options);

    public async Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (endpoint, target) = PostgresEndpoint.ParseReference(request.Destination, request.Password, options);
        var psql = _tools.Locate("psql");
        Log.RestoreStarting(logger, request.Dump.Name, endpoint.ToString(), target);
        await PrepareAsync(endpoint, target, request.Overwrite, ct).ConfigureAwait(false);

        long bytes;
        var tool = ToolProcess.Start(
            psql,
            [.. endpoint.ToolArguments(target), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--output=/dev/null", "--file=-"],
            endpoint.ToolEnvironment(),
            endpoint.Secrets(),
            writesInput: true);
        await using (tool.ConfigureAwait(false))
        {
            var dump = await request.OpenItem(request.Dump.Item, ct).ConfigureAwait(false);
            await using (dump.ConfigureAwait(false))
            {
                try
                {
                    await dump.CopyToAsync(tool.Input, 1 << 20, ct).ConfigureAwait(false);
                    bytes = dump.Position;
                }
                catch (IOException) when (ExitedEarly(tool))
                {
                    // psql stopped reading (it failed on a statement): its own message says why.
                    bytes = dump.Position;
                }
                finally
                {
                    tool.Input.Close();
                }
            }

            await tool.WaitForSuccessAsync($"restore of {request.Dump.Name} into {target} at {endpoint}", ct).ConfigureAwait(false);
        }

        var actual = await FingerprintAsync(endpoint, target, ct).ConfigureAwait(false);
        var differences = TableFingerprint.Compare(request.Dump.Tables, actual);
        if (differences.Count > 0)
        {
            throw new FingerprintMismatchException($"{target} at {endpoint}", differences);
        }

        var rows = PostgresFingerprint.TotalRows(actual);
        Log.RestoreVerified(logger, endpoint.ToString(), target, actual.Count, rows);
        return new DatabaseRestoreResult(request.Dump.Name, request.Destination, actual.Count, rows, bytes, request.Dump.RecoveryPoint);
    }

    /// <summary>The fingerprint of a database, exactly as the backup computes it.</summary>
    public static async Task<List<TableFingerprint>> FingerprintAsync(PostgresEndpoint endpoint, string database, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(database, "fingerprint", ct).ConfigureAwait(false);
        await using (var settings = new NpgsqlCommand(PostgresFingerprint.SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        return await PostgresFingerprint.ComputeAsync(connection, transaction, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the target database when it does not exist; an existing one must be empty (no
    /// relation outside the system schemas, no large object) unless <paramref name="overwrite"/>,
    /// in which case it is dropped and created again.
    /// </summary>
    private async Task PrepareAsync(PostgresEndpoint endpoint, string target, bool overwrite, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "restore", ct).ConfigureAwait(false);
        bool exists;
        await using (var probe = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin))
        {
            probe.Parameters.AddWithValue("name", target);
            exists = (long)(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0;
        }

        var quoted = "\"" + target.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        if (exists)
        {
            var objects = await CountUserObjectsAsync(endpoint, target, ct).ConfigureAwait(false);
            if (objects == 0)
            {
                return;
            }

            if (!overwrite)
            {
                throw new DatabaseRestoreRefusedException(
                    $"--to-db: database {target} at {endpoint} is not empty ({objects} relations or large objects); restore into a new database or pass --overwrite to replace it");
            }

            Log.Overwriting(logger, endpoint.ToString(), target);
            await using var drop = new NpgsqlCommand($"DROP DATABASE {quoted} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'", admin);
        try
        {
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new SourceFailedException($"restore: cannot create database {target} at {endpoint}: {e.MessageText}", e);
        }
    }

    private static async Task<long> CountUserObjectsAsync(PostgresEndpoint endpoint, string database, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(database, "restore", ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%')
                 + (SELECT count(*) FROM pg_largeobject_metadata)
            """, connection);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static bool ExitedEarly(ToolProcess tool)
    {
        try
        {
            return tool.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
