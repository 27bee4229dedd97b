using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrOrchestrator.Core.Sources;

/// <summary>
/// The manifest a database source stores with its dumps (a data blob referenced by
/// <see cref="Repository.SnapshotSource.Manifest"/>): what was dumped, from which server, as of when,
/// and the fingerprint a restore is compared against. It holds no connection secret.
/// </summary>
/// <param name="Engine">The source type (<c>postgres</c>, <c>mariadb</c>, <c>sqlite</c>).</param>
/// <param name="ServerVersion">The server's version string as it reports it.</param>
/// <param name="ClientVersion">The dump tool's version (null for SQLite, which needs none).</param>
/// <param name="RecoveryPoint">The earliest of the databases' recovery points.</param>
/// <param name="GlobalsItem">Item path of the roles/tablespaces dump, when <c>globals: true</c>.</param>
/// <param name="Parallel">How many connections the backup used (PostgreSQL's <c>parallel:</c>); a restore uses as many. Null: one.</param>
public sealed record DatabaseManifest(
    string Engine,
    string ServerVersion,
    string? ClientVersion,
    DateTimeOffset RecoveryPoint,
    IReadOnlyList<DatabaseDump> Databases,
    string? GlobalsItem,
    int? Parallel = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <exception cref="FormatException">Not a database manifest.</exception>
    public static DatabaseManifest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<DatabaseManifest>(json, Json) ?? throw new FormatException("database manifest is empty");
        }
        catch (JsonException e)
        {
            throw new FormatException($"database manifest cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The dump of <paramref name="database"/>, or of the only database when null.</summary>
    /// <exception cref="ArgumentException">No such database, or several and none named.</exception>
    public DatabaseDump Find(string? database)
    {
        if (database is null)
        {
            return Databases.Count == 1 ? Databases[0]
                : throw new ArgumentException($"the snapshot holds {Databases.Count} databases ({string.Join(", ", Databases.Select(d => d.Name))}); name one with --database");
        }

        return Databases.FirstOrDefault(d => d.Name == database)
            ?? throw new ArgumentException($"the snapshot holds no database '{database}' (it holds: {string.Join(", ", Databases.Select(d => d.Name))})");
    }
}

/// <summary>One database's dump.</summary>
/// <param name="Item">Item path of the dump in the snapshot (e.g. <c>pg/orders/dump.sql</c>); with
/// <paramref name="Parts"/>, the first part (the schema).</param>
/// <param name="RecoveryPoint">The server's clock in the transaction the dump and fingerprint were taken in.</param>
/// <param name="Sha256">SHA-256 of <paramref name="Item"/> as stored.</param>
/// <param name="Length">Bytes of <paramref name="Item"/>.</param>
/// <param name="Tables">The fingerprint, taken in the same transaction (snapshot) as the dump.</param>
/// <param name="Parts">Null: the dump is the one stream <paramref name="Item"/>. Otherwise the
/// dump's separately restorable items, all taken in one snapshot (PostgreSQL: schema, one COPY
/// stream per table, post-data; docs/decisions.md §59).</param>
/// <param name="FingerprintVersion">How <paramref name="Tables"/> was computed; the engine defines
/// the versions and a restore verifies with the same one. Null: the engine's first (PostgreSQL:
/// the server-side md5 sum of §51; §65 added the client-side hash of the COPY text).</param>
public sealed record DatabaseDump(
    string Name,
    string Item,
    DateTimeOffset RecoveryPoint,
    string Sha256,
    long Length,
    IReadOnlyList<TableFingerprint> Tables,
    IReadOnlyList<DumpPart>? Parts = null,
    int? FingerprintVersion = null)
{
    /// <summary>Bytes of the whole dump (every part).</summary>
    [JsonIgnore]
    public long TotalLength => Parts?.Sum(p => p.Length) ?? Length;
}

/// <summary>One item of a dump in several parts.</summary>
/// <param name="Kind">What the item is; the engine defines the kinds and the order they restore in.</param>
/// <param name="Table">The table whose rows the item holds (kind <c>table</c>), else null.</param>
public sealed record DumpPart(string Kind, string Item, string Sha256, long Length, string? Table = null);

/// <summary>
/// One table's fingerprint: its row count and an order-independent hash of its rows (a sum of
/// per-row hashes, so the physical order a restore writes rows in does not matter).
/// </summary>
public sealed record TableFingerprint(string Table, long Rows, string Hash)
{
    /// <summary>
    /// Differences between the fingerprint taken at backup and the one of a restored database, one
    /// line per table that is missing, extra, or has other rows; empty when they match.
    /// </summary>
    public static IReadOnlyList<TableDifference> Compare(IReadOnlyList<TableFingerprint> expected, IReadOnlyList<TableFingerprint> actual)
    {
        var restored = actual.ToDictionary(t => t.Table, StringComparer.Ordinal);
        var differences = new List<TableDifference>();
        foreach (var table in expected.OrderBy(t => t.Table, StringComparer.Ordinal))
        {
            if (!restored.Remove(table.Table, out var got))
            {
                differences.Add(new TableDifference(table.Table, table, null));
            }
            else if (got.Rows != table.Rows || got.Hash != table.Hash)
            {
                differences.Add(new TableDifference(table.Table, table, got));
            }
        }

        differences.AddRange(restored.Values.OrderBy(t => t.Table, StringComparer.Ordinal).Select(t => new TableDifference(t.Table, null, t)));
        return differences;
    }
}

/// <summary>One table whose restored fingerprint differs from the backup's: missing (<see cref="Actual"/> null), extra (<see cref="Expected"/> null) or other rows.</summary>
public sealed record TableDifference(string Table, TableFingerprint? Expected, TableFingerprint? Actual)
{
    /// <summary>"table t: 10 rows (hash …) at backup, 9 rows (hash …) restored", "table t is missing (10 rows at backup)", "table t was not in the backup".</summary>
    public override string ToString() => (Expected, Actual) switch
    {
        (null, _) => $"table {Table} was not in the backup",
        (_, null) => $"table {Table} is missing ({Expected.Rows} rows at backup)",
        _ => $"table {Table}: {Expected.Rows} rows (hash {Expected.Hash}) at backup, {Actual.Rows} rows (hash {Actual.Hash}) restored",
    };
}
