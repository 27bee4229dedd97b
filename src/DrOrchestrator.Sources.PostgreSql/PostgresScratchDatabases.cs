using System.Globalization;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// Scratch databases of a drill on the source's own PostgreSQL server. The integrity check is
/// the contrib module amcheck: <c>bt_index_check(index, heapallindexed)</c> on every B-tree index
/// (each index agrees with its table, every row is indexed) and, from PostgreSQL 14,
/// <c>verify_heapam</c> on every table (page and tuple structure). amcheck is not a trusted
/// extension: a role that may not create it gets the check reported as not run, with the reason.
/// </summary>
internal sealed class PostgresScratchDatabases(PostgresEndpoint endpoint) : IScratchDatabases
{
    private const string MaintenanceDatabase = "postgres";

    public SecretReference? Password => endpoint.Password;

    public string Reference(string name) =>
        $"host={endpoint.Host} port={endpoint.Port.ToString(CultureInfo.InvariantCulture)}{(endpoint.User is null ? "" : " user=" + endpoint.User)} database={name}";

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "drill", ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE left(datname, length(@prefix)) = @prefix ORDER BY datname", admin);
        command.Parameters.AddWithValue("prefix", prefix);
        return await command.ReadFirstColumnAsync(ct).ConfigureAwait(false);
    }

    public async Task DropAsync(string name, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(MaintenanceDatabase, "drill", ct).ConfigureAwait(false);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)", admin);
        try
        {
            await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new SourceFailedException($"drill: cannot drop the scratch database {name} at {endpoint}: {e.MessageText}", e);
        }
    }

    public async Task<IntegrityCheckResult> CheckIntegrityAsync(string name, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(name, "drill integrity check", ct).ConfigureAwait(false);
        try
        {
            await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS amcheck", connection);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            return new IntegrityCheckResult("amcheck", [], $"the amcheck extension cannot be created in the scratch database: {e.MessageText}");
        }

        var problems = new List<string>();
        int indexes = 0, tables = 0;
        await using (var command = new NpgsqlCommand("""
            SELECT i.indexrelid::regclass::text, bt_index_check(i.indexrelid, true)::text
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND i.indisvalid
            """, connection))
        {
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    indexes++;
                }
            }
            catch (PostgresException e)
            {
                problems.Add($"B-tree index check: {e.MessageText}{(e.TableName is null ? "" : $" (table {e.TableName})")}");
            }
        }

        if (connection.PostgreSqlVersion.Major >= 14)
        {
            await using var command = new NpgsqlCommand("""
                SELECT c.oid::regclass::text, v.blkno, v.offnum, v.msg
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN LATERAL verify_heapam(c.oid) v ON true
                WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
                """, connection);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (seen.Add(table))
                {
                    tables++;
                }

                if (!reader.IsDBNull(3))
                {
                    problems.Add($"table {table}: block {reader.GetValue(1)}, item {reader.GetValue(2)}: {reader.GetString(3)}");
                }
            }
        }

        var check = string.Create(CultureInfo.InvariantCulture, $"amcheck: bt_index_check on {indexes} indexes")
            + (connection.PostgreSqlVersion.Major >= 14 ? string.Create(CultureInfo.InvariantCulture, $", verify_heapam on {tables} tables") : "");
        return new IntegrityCheckResult(check, problems);
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
