using System.Globalization;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using MySqlConnector;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// Scratch databases of a drill on the source's own MariaDB/MySQL server; the integrity check is
/// <c>CHECK TABLE</c> over every base table (InnoDB: page checksums, index and row structure).
/// </summary>
internal sealed class MariaDbScratchDatabases(MariaDbEndpoint endpoint) : IScratchDatabases
{
    public SecretReference? Password => endpoint.Password;

    public string Reference(string name) =>
        (endpoint.Socket is not null ? "socket=" + endpoint.Socket : $"host={endpoint.Host} port={endpoint.Port.ToString(CultureInfo.InvariantCulture)}")
        + (endpoint.User is null ? "" : " user=" + endpoint.User) + " database=" + name;

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(null, "drill", ct).ConfigureAwait(false);
        await using var command = new MySqlCommand("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(@prefix)) = @prefix ORDER BY 1", admin);
        command.Parameters.AddWithValue("@prefix", prefix);
        return await command.ReadFirstColumnAsync(ct).ConfigureAwait(false);
    }

    public async Task DropAsync(string name, CancellationToken ct)
    {
        await using var admin = await endpoint.OpenAsync(null, "drill", ct).ConfigureAwait(false);
        try
        {
            await MariaDbBackupSource.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {MariaDbFingerprint.Quote(name)}", ct).ConfigureAwait(false);
        }
        catch (MySqlException e)
        {
            throw new SourceFailedException($"drill: cannot drop the scratch database {name} at {endpoint}: {e.Message}", e);
        }
    }

    public async Task<IntegrityCheckResult> CheckIntegrityAsync(string name, CancellationToken ct)
    {
        await using var connection = await endpoint.OpenAsync(name, "drill integrity check", ct).ConfigureAwait(false);
        List<string> tables;
        await using (var list = new MySqlCommand("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", connection))
        {
            list.Parameters.AddWithValue("@db", name);
            tables = await list.ReadFirstColumnAsync(ct).ConfigureAwait(false);
        }

        var problems = new List<string>();
        foreach (var table in tables)
        {
            await using var check = new MySqlCommand($"CHECK TABLE {MariaDbFingerprint.Quote(name)}.{MariaDbFingerprint.Quote(table)}", connection);
            await using var reader = await check.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                // Columns: Table, Op, Msg_type (status, error, info, note, warning), Msg_text; a sound table ends with "status OK".
                var type = reader.GetString(2);
                var text = reader.GetString(3);
                if (type.Equals("error", StringComparison.OrdinalIgnoreCase)
                    || (type.Equals("status", StringComparison.OrdinalIgnoreCase) && !text.Equals("OK", StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"table {table}: CHECK TABLE {type}: {text}");
                }
            }
        }

        return new IntegrityCheckResult(string.Create(CultureInfo.InvariantCulture, $"CHECK TABLE on {tables.Count} tables"), problems);
    }
}
