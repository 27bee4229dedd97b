using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// The fingerprint of one database: per user table its row count and an order-independent sum of
/// row hashes; large objects count as one more "table". Two versions (the manifest's
/// <see cref="DatabaseDump.FingerprintVersion"/>):
/// <list type="bullet">
/// <item><see cref="ServerSide"/> (§51, manifests without a version): computed by the server, the
/// sum as an exact numeric of the first 64 bits of <c>md5(row::text)</c>, read inside the caller's
/// transaction;</item>
/// <item><see cref="ClientSide"/> (§65): computed by drorch from the <c>COPY … TO STDOUT</c> text
/// of each table as it streams (<see cref="CopyRowHasher"/>: XxHash128 per row, summed modulo
/// 2^128) — at backup from the very stream stored, at restore from the restored table copied
/// back out. No server work beyond the COPY itself.</item>
/// </list>
/// </summary>
internal static class PostgresFingerprint
{
    /// <summary>§51: the server's md5 of each row's text form (snapshots taken before §65).</summary>
    public const int ServerSide = 1;

    /// <summary>§65: XxHash128 of each row's COPY text, on the client.</summary>
    public const int ClientSide = 2;

    /// <summary>
    /// The row text form of <see cref="ServerSide"/> depends on these settings; both sides set the
    /// same values so a restore compares equal whatever the servers' defaults are.
    /// </summary>
    public const string SessionSettings =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

    /// <summary>
    /// Every setting that changes the COPY text of a value, pinned on every connection that dumps,
    /// restores or verifies a <see cref="ClientSide"/> snapshot (the dump's bytes are the
    /// fingerprint's input, and a restored table must print the same bytes again): dates, times
    /// and intervals (<c>TimeZone</c>, <c>DateStyle</c>, <c>IntervalStyle</c>), floats
    /// (<c>extra_float_digits</c>: shortest exact form), bytea (<c>hex</c>), the encoding, money
    /// (<c>lc_monetary</c>), regclass and other reg* values (printed schema-qualified with an empty
    /// <c>search_path</c>, as pg_dump does) and XML parsing (<c>xmloption</c>, as pg_dump).
    /// </summary>
    public const string CopyTextSettings =
        SessionSettings + "; SET client_encoding = 'UTF8'; SET lc_monetary = 'C'; SET search_path = ''; SET xmloption = content";

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

    /// <summary>
    /// The <see cref="ClientSide"/> entry of the large objects: their pages (<c>loid, pageno,
    /// data</c>) when the role is a superuser, else their oids — the same rows as
    /// <see cref="ServerSide"/>, copied out and hashed here.
    /// </summary>
    public static async Task<TableFingerprint> LargeObjectsFromCopyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct) =>
        await IsSuperuserAsync(connection, transaction, ct).ConfigureAwait(false)
            ? await HashCopyAsync(connection, LargeObjectsTable, "(SELECT loid, pageno, data FROM pg_catalog.pg_largeobject)", ct).ConfigureAwait(false)
            : await HashCopyAsync(connection, LargeObjectsTable + "_metadata", "(SELECT oid FROM pg_catalog.pg_largeobject_metadata)", ct).ConfigureAwait(false);

    /// <summary>The <see cref="ClientSide"/> entry of <paramref name="table"/>: its rows (<paramref name="source"/>: the table or a query of it) copied out and hashed here.</summary>
    public static Task<TableFingerprint> TableFromCopyAsync(NpgsqlConnection connection, string table, string source, CancellationToken ct) =>
        HashCopyAsync(connection, table, source, ct);

    /// <summary>The rows of <c>COPY <paramref name="what"/> TO STDOUT</c> hashed into <paramref name="hasher"/>, read and dropped.</summary>
    public static async Task HashCopyAsync(NpgsqlConnection connection, string what, CopyRowHasher hasher, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        var (copy, rows) = await PostgresCopy.OpenExportAsync(connection, what, hasher, ct).ConfigureAwait(false);
        using (copy)
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                while (await rows.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
                {
                    // Hashed as read.
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task<TableFingerprint> HashCopyAsync(NpgsqlConnection connection, string table, string what, CancellationToken ct)
    {
        var hasher = new CopyRowHasher();
        await HashCopyAsync(connection, what, hasher, ct).ConfigureAwait(false);
        return hasher.ToFingerprint(table);
    }

    public static long TotalRows(IEnumerable<TableFingerprint> tables) =>
        tables.Where(t => !t.Table.StartsWith(LargeObjectsTable, StringComparison.Ordinal)).Sum(t => t.Rows);
}
