using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// The fingerprint of one database, read inside the caller's transaction (at backup: the one
/// whose snapshot pg_dump uses). Per user table: the row count and the sum, as an exact numeric,
/// of the first 64 bits of each row's md5 — a sum, so the order rows come back in after a restore
/// does not matter, and md5 of the row's text form, so it is the same on every server version.
/// Large objects count as one more "table" when the role may read them.
/// </summary>
internal static class PostgresFingerprint
{
    /// <summary>
    /// The row text form depends on these settings; both sides set the same values so a restore
    /// compares equal whatever the servers' defaults are.
    /// </summary>
    public const string SessionSettings =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

    public const string LargeObjectsTable = "pg_largeobject";

    private const string TablesQuery = """
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_relation_size(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1
        """;

    private const string RowHash = "('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric";

    public static async Task<List<TableFingerprint>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var result = new List<TableFingerprint>();
        foreach (var (table, _) in await ListTablesAsync(connection, transaction, ct).ConfigureAwait(false))
        {
            result.Add(await TableAsync(connection, transaction, table, ct).ConfigureAwait(false));
        }

        result.Add(await LargeObjectsAsync(connection, transaction, ct).ConfigureAwait(false));
        return result;
    }

    /// <summary>
    /// The fingerprinted tables (quoted <c>schema.table</c>, in the order the fingerprint lists
    /// them) with their size in bytes, so callers can start the biggest first.
    /// </summary>
    public static async Task<List<(string Table, long Bytes)>> ListTablesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        var tables = new List<(string, long)>();
        await using var list = new NpgsqlCommand(TablesQuery, connection, transaction);
        await using var reader = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            tables.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return tables;
    }

    /// <summary>One table's entry, read in the caller's transaction.</summary>
    public static Task<TableFingerprint> TableAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken ct) =>
        HashAsync(connection, transaction, table, $"SELECT count(*), coalesce(sum({RowHash}), 0)::text FROM ONLY {table} t", ct);

    /// <summary>The large objects' entry: their pages when the role is a superuser, else their oids.</summary>
    public static async Task<TableFingerprint> LargeObjectsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct) =>
        await IsSuperuserAsync(connection, transaction, ct).ConfigureAwait(false)
            ? await HashAsync(connection, transaction, LargeObjectsTable,
                $"SELECT count(*), coalesce(sum({RowHash}), 0)::text FROM (SELECT loid, pageno, data FROM pg_largeobject) t", ct).ConfigureAwait(false)
            : await HashAsync(connection, transaction, LargeObjectsTable + "_metadata",
                $"SELECT count(*), coalesce(sum({RowHash}), 0)::text FROM (SELECT oid FROM pg_largeobject_metadata) t", ct).ConfigureAwait(false);

    private static async Task<TableFingerprint> HashAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new TableFingerprint(table, reader.GetInt64(0), reader.GetString(1));
    }

    private static async Task<bool> IsSuperuserAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT current_setting('is_superuser')", connection, transaction);
        return string.Equals((string?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false), "on", StringComparison.Ordinal);
    }

    public static long TotalRows(IEnumerable<TableFingerprint> tables) =>
        tables.Where(t => !t.Table.StartsWith(LargeObjectsTable, StringComparison.Ordinal)).Sum(t => t.Rows);
}
