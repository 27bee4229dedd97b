using System.Globalization;
using DrOrchestrator.Core.Sources;
using Npgsql;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// How a table is read in COPY text, whole or in page ranges, <c>ctid &gt;= '(a,0)' AND ctid &lt;
/// '(b,0)'</c> (as pgcopydb splits a table; only where the server scans TID ranges,
/// <see cref="CanSplit"/>). The ranges of one split cover every page exactly once (the first
/// starts at page 0, the last is open-ended), so every row version lies in exactly one, and a
/// range's COPY text has the same bytes per row as <c>COPY table TO STDOUT</c> (the same columns:
/// not dropped, not generated). The fingerprint also covers generated columns (as §51's
/// <c>row::text</c> did): for a table that has some, it reads all columns (<see cref="HashSources"/>),
/// apart from the dump's stream, which cannot carry them (docs/decisions.md §65).
/// </summary>
internal sealed record TableRanges(string Table, string Columns, string? AllColumns, long Pages)
{
    /// <summary>
    /// Whether the server reads a ctid range by a TID range scan (PostgreSQL 14 and later), so
    /// <c>N</c> ranges read the table once between them. Before 14 each range would be a filtered
    /// sequential scan of the whole table (N reads of it): there a table is never split, it is
    /// copied and verified whole, as before §65.
    /// </summary>
    public static bool CanSplit(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.PostgreSqlVersion.Major >= 14;
    }

    /// <summary>The quoted names (as <see cref="PostgresFingerprint.ListTablesAsync"/> writes them) of the tables with a generated column.</summary>
    public static async Task<HashSet<string>> WithGeneratedColumnsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        if (connection.PostgreSqlVersion.Major < 12)
        {
            return [];
        }

        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attgenerated <> '' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
            """, connection, transaction);
        return [.. await command.ReadFirstColumnAsync(ct).ConfigureAwait(false)];
    }

    /// <summary>The table's COPY columns, all its columns, and its current size in pages.</summary>
    public static async Task<TableRanges> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken ct)
    {
        var generated = connection.PostgreSqlVersion.Major >= 12 ? "attgenerated = ''" : "true";
        await using var command = new NpgsqlCommand($"""
            SELECT coalesce(string_agg(pg_catalog.quote_ident(attname), ', ' ORDER BY attnum) FILTER (WHERE {generated}), ''),
                   coalesce(string_agg(pg_catalog.quote_ident(attname), ', ' ORDER BY attnum), ''),
                   bool_and({generated}),
                   pg_catalog.pg_relation_size(@table::regclass) / pg_catalog.current_setting('block_size')::bigint
            FROM pg_catalog.pg_attribute
            WHERE attrelid = @table::regclass AND attnum > 0 AND NOT attisdropped
            """, connection, transaction);
        command.Parameters.AddWithValue("table", table);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        var noneGenerated = reader.IsDBNull(2) || reader.GetBoolean(2);
        return new TableRanges(table, reader.GetString(0), noneGenerated ? null : reader.GetString(1), reader.GetInt64(3));
    }

    /// <summary>
    /// The COPY sources of the dump: <paramref name="count"/> ranges of about equal pages (parenthesized
    /// queries), or the plain table when <paramref name="count"/> is 1 or the table has fewer pages.
    /// </summary>
    public IReadOnlyList<string> Split(int count) => Sources(Columns, count, plainTable: true);

    /// <summary>
    /// The COPY sources the fingerprint hashes: those of <see cref="Split"/> when the table has no
    /// generated column (then the dump's own stream is hashed), else the same ranges with every column.
    /// </summary>
    public IReadOnlyList<string> HashSources(int count) => AllColumns is null ? Split(count) : Sources(AllColumns, count, plainTable: false);

    private IReadOnlyList<string> Sources(string columns, int count, bool plainTable)
    {
        if (count <= 1 || Pages < count)
        {
            return [plainTable ? Table : $"(SELECT {columns} FROM ONLY {Table})"];
        }

        var bounds = Enumerable.Range(0, count + 1).Select(i => Pages * i / count).ToArray();
        return [.. Enumerable.Range(0, count).Select(i => Query(columns, bounds[i], i == count - 1 ? null : bounds[i + 1]))];
    }

    private string Query(string columns, long fromPage, long? toPage) =>
        $"(SELECT {columns} FROM ONLY {Table} WHERE ctid >= '({fromPage.ToString(CultureInfo.InvariantCulture)},0)'::tid"
        + (toPage is { } to ? $" AND ctid < '({to.ToString(CultureInfo.InvariantCulture)},0)'::tid)" : ")");
}
