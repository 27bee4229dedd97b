using DrOrchestrator.Core.Sources;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// Restores one dump into a new or empty database through the <c>mariadb</c> client, then
/// compares the restored database's fingerprint with the one taken at backup.
/// </summary>
internal sealed class MariaDbRestorer(MariaDbSourceOptions options, ILogger logger)
{
    public async Task<DatabaseRestoreResult> RestoreAsync(DatabaseRestoreRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (endpoint, target) = MariaDbEndpoint.ParseReference(request.Destination, request.Password, options);
        var client = MariaDbTools.Locate(options, "mariadb", "mysql");
        await PrepareAsync(endpoint, target, request.Overwrite, ct).ConfigureAwait(false);
        long bytes;
        var tool = ToolProcess.Start(
            client, [.. endpoint.ToolArguments(), "--batch", "--default-character-set=utf8mb4", target],
            endpoint.ToolEnvironment(), endpoint.Secrets(), writesInput: true);
        await using (tool.ConfigureAwait(false))
        {
            var dump = await request.OpenItem(request.Dump.Item, ct).ConfigureAwait(false);
            await using (dump.ConfigureAwait(false))
            {
                try
                {
                    await dump.CopyToAsync(tool.Input, 1 << 20, ct).ConfigureAwait(false);
                }
                catch (IOException) when (tool.HasExited)
                {
                    // The client stopped reading (a statement failed): its own message says why.
                }
                finally
                {
                    bytes = dump.Position;
                    tool.Input.Close();
                }
            }

            await tool.WaitForSuccessAsync($"restore of {request.Dump.Name} into {target} at {endpoint}", ct).ConfigureAwait(false);
        }

        List<TableFingerprint> actual;
        await using (var connection = await endpoint.OpenAsync(target, "fingerprint", ct).ConfigureAwait(false))
        {
            await MariaDbBackupSource.ExecuteAsync(connection, "SET time_zone = '+00:00'; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", ct).ConfigureAwait(false);
            actual = await MariaDbFingerprint.ComputeAsync(connection, target, ct).ConfigureAwait(false);
        }

        var differences = TableFingerprint.Compare(request.Dump.Tables, actual);
        if (differences.Count > 0)
        {
            throw new FingerprintMismatchException($"{target} at {endpoint}", differences);
        }

        Log.RestoreVerified(logger, endpoint.ToString(), target, actual.Count, actual.Sum(t => t.Rows));
        return new DatabaseRestoreResult(request.Dump.Name, request.Destination, actual.Count, actual.Sum(t => t.Rows), bytes, request.Dump.RecoveryPoint);
    }

    private async Task PrepareAsync(MariaDbEndpoint endpoint, string target, bool overwrite, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(null, "restore", ct).ConfigureAwait(false);
        await using var count = new MySqlCommand(
            "SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db), (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db) + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = @db)",
            admin);
        count.Parameters.AddWithValue("@db", target);
        long exists, objects;
        await using (var reader = await count.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            exists = reader.GetInt64(0);
            objects = reader.GetInt64(1);
        }

        var quoted = MariaDbFingerprint.Quote(target);
        if (exists > 0 && objects > 0)
        {
            if (!overwrite)
            {
                throw new DatabaseRestoreRefusedException(
                    $"--to-db: database {target} at {endpoint} is not empty ({objects} tables or routines); restore into a new database or pass --overwrite to replace it");
            }

            Log.Overwriting(logger, endpoint.ToString(), target);
            await MariaDbBackupSource.ExecuteAsync(admin, $"DROP DATABASE {quoted}", ct).ConfigureAwait(false);
        }

        await MariaDbBackupSource.ExecuteAsync(admin, $"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4", ct).ConfigureAwait(false);
    }
}
