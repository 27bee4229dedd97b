using System.Globalization;
using System.IO.Hashing;
using DrOrchestrator.Core.Sources;

namespace DrOrchestrator.Sources.PostgreSql;

/// <summary>
/// The client-side fingerprint of one table (<see cref="PostgresFingerprint.ClientSide"/>, §65),
/// fed with the table's <c>COPY … TO STDOUT</c> text as it flows: every row is one line (COPY
/// text escapes newlines inside values as <c>\n</c>, so a 0x0A byte always ends a row), hashed
/// with XxHash128; the table's hash is the sum of the row hashes modulo 2^128 — a sum, so the
/// order rows come in does not matter and a duplicated row does not cancel itself out (as it
/// would in a XOR). Several hashers of one table's parts (ctid ranges) add up with
/// <see cref="Add"/>. Not thread-safe: one stream feeds one hasher.
/// </summary>
internal sealed class CopyRowHasher
{
    private readonly XxHash128 _partialRow = new();
    private bool _inRow;
    private UInt128 _sum;
    private long _rows;

    public long Rows => _rows;

    /// <summary>Takes the next bytes of the COPY stream (any split: a row may span calls).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                _partialRow.Append(data);
                _inRow = true;
                return;
            }

            UInt128 row;
            if (_inRow)
            {
                _partialRow.Append(data[..end]);
                row = _partialRow.GetCurrentHashAsUInt128();
                _partialRow.Reset();
                _inRow = false;
            }
            else
            {
                row = XxHash128.HashToUInt128(data[..end]);
            }

            _sum = unchecked(_sum + row);
            _rows++;
            data = data[(end + 1)..];
        }
    }

    /// <summary>Adds another part's rows (a ctid range of the same table).</summary>
    public void Add(CopyRowHasher other)
    {
        ArgumentNullException.ThrowIfNull(other);
        other.EnsureComplete("a part");
        _sum = unchecked(_sum + other._sum);
        _rows += other._rows;
    }

    /// <summary>The table's entry; the stream must have ended with a complete row.</summary>
    /// <exception cref="InvalidDataException">The stream ended inside a row.</exception>
    public TableFingerprint ToFingerprint(string table)
    {
        EnsureComplete(table);
        return new TableFingerprint(table, _rows, _sum.ToString("x32", CultureInfo.InvariantCulture));
    }

    private void EnsureComplete(string what)
    {
        if (_inRow)
        {
            throw new InvalidDataException($"the COPY text of {what} ended inside a row");
        }
    }
}
