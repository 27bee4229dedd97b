using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using DrOrchestrator.Core.Sources;
using Microsoft.Data.Sqlite;

namespace DrOrchestrator.Sources.Sqlite;

/// <summary>
/// A SQLite database's fingerprint: per table its row count and the sum of the first 64 bits of
/// each row's SHA-256 (values encoded with their storage class, so 1, 1.0, '1' and x'01' differ),
/// order-independent like the PostgreSQL one. SQLite has no hash function in SQL, so rows are
/// read and hashed here, streaming.
/// </summary>
internal static class SqliteFingerprint
{
    public static async Task<List<TableFingerprint>> ComputeAsync(SqliteConnection connection, CancellationToken ct)
    {
        List<string> tables;
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
            tables = await list.ReadFirstColumnAsync(ct).ConfigureAwait(false);
        }

        var result = new List<TableFingerprint>(tables.Count);
        foreach (var table in tables)
        {
            result.Add(await HashTableAsync(connection, table, ct).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary><c>PRAGMA integrity_check</c>; anything but "ok" fails with SQLite's own first lines.</summary>
    public static async Task EnsureIntegrityAsync(SqliteConnection connection, string what, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false) && lines.Count < 3)
        {
            lines.Add(reader.GetString(0));
        }

        if (lines is not ["ok"])
        {
            throw new SourceFailedException($"{what}: PRAGMA integrity_check failed: {string.Join(" | ", lines)}");
        }
    }

    private static async Task<TableFingerprint> HashTableAsync(SqliteConnection connection, string table, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        long rows = 0;
        var sum = BigInteger.Zero;
        using var row = new MemoryStream();
        var digest = new byte[32];
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            row.SetLength(0);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                Encode(row, reader.GetValue(i));
            }

            SHA256.HashData(row.GetBuffer().AsSpan(0, (int)row.Length), digest);
            sum += BinaryPrimitives.ReadUInt64BigEndian(digest);
            rows++;
        }

        return new TableFingerprint(table, rows, sum.ToString(CultureInfo.InvariantCulture));
    }

    private static void Encode(MemoryStream row, object value)
    {
        byte[] bytes = value switch
        {
            DBNull => [],
            long l => Encoding.UTF8.GetBytes(l.ToString(CultureInfo.InvariantCulture)),
            double d => Encoding.UTF8.GetBytes(d.ToString("R", CultureInfo.InvariantCulture)),
            string s => Encoding.UTF8.GetBytes(s),
            byte[] b => b,
            _ => Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
        };
        row.WriteByte(value switch { DBNull => 0, long => 1, double => 2, string => 3, _ => 4 });
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        row.Write(length);
        row.Write(bytes);
    }
}
