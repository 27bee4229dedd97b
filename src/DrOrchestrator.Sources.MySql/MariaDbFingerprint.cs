using DrOrchestrator.Core.Sources;
using MySqlConnector;

namespace DrOrchestrator.Sources.MySql;

/// <summary>
/// A database's fingerprint, read in the caller's consistent-snapshot transaction: per base table
/// its row count and the sum (exact DECIMAL) of the first 64 bits of md5 over the row's columns,
/// each as <c>QUOTE(col)</c> (so NULL and 'NULL' differ), order-independent. Not CHECKSUM TABLE:
/// it reads the table outside the transaction's snapshot, so it would not describe the dump.
/// </summary>
internal static class MariaDbFingerprint
{
    public static async Task<List<TableFingerprint>> ComputeAsync(MySqlConnection connection, string database, CancellationToken ct)
    {
        var columns = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var list = new MySqlCommand(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME WHERE c.TABLE_SCHEMA = @db AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            connection))
        {
            list.Parameters.AddWithValue("@db", database);
            await using var reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!columns.TryGetValue(table, out var names))
                {
                    columns[table] = names = [];
                }

                names.Add(reader.GetString(1));
            }
        }

        var result = new List<TableFingerprint>(columns.Count);
        foreach (var (table, names) in columns)
        {
            var row = string.Join(", ", names.Select(n => $"QUOTE({Quote(n)})"));
            await using var command = new MySqlCommand(
                $"SELECT COUNT(*), CAST(COALESCE(SUM(CAST(CONV(LEFT(MD5(CONCAT_WS(',', {row})), 16), 16, 10) AS DECIMAL(30, 0))), 0) AS CHAR) FROM {Quote(database)}.{Quote(table)}",
                connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            result.Add(new TableFingerprint(table, reader.GetInt64(0), reader.GetString(1)));
        }

        return result;
    }

    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";
}
