using System.Buffers.Binary;
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
/// <remarks>
/// The sum is kept as two 64-bit halves with a carry, not as a <see cref="UInt128"/>: crossgen2
/// does not pregenerate a method that passes or returns <see cref="UInt128"/> (its calling
/// convention differs between runtimes), so <see cref="Append"/> ran as unoptimised Tier-0 code
/// for the whole of a dump and of a restore's read-back, one call per 64 KiB of rows — and never
/// got tiered up in a 5-second process (docs/decisions.md §73). The row hash is read as the
/// big-endian bytes of <see cref="XxHash128.Hash(ReadOnlySpan{byte}, Span{byte}, long)"/>, which are
/// <see cref="XxHash128.HashToUInt128"/>'s value, so the sum and the manifest's text are unchanged.
/// </remarks>
internal sealed class CopyRowHasher
{
    private readonly XxHash128 _partialRow = new();
    private bool _inRow;
    private ulong _sumHigh;
    private ulong _sumLow;
    private long _rows;

    public long Rows => _rows;

    /// <summary>Takes the next bytes of the COPY stream (any split: a row may span calls).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Span<byte> row = stackalloc byte[16];
        while (!data.IsEmpty)
        {
            var end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                _partialRow.Append(data);
                _inRow = true;
                return;
            }

            if (_inRow)
            {
                _partialRow.Append(data[..end]);
                _partialRow.GetCurrentHash(row);
                _partialRow.Reset();
                _inRow = false;
            }
            else
            {
                XxHash128.Hash(data[..end], row);
            }

            AddToSum(BinaryPrimitives.ReadUInt64BigEndian(row), BinaryPrimitives.ReadUInt64BigEndian(row[8..]));
            _rows++;
            data = data[(end + 1)..];
        }
    }

    /// <summary>Adds another part's rows (a ctid range of the same table).</summary>
    public void Add(CopyRowHasher other)
    {
        ArgumentNullException.ThrowIfNull(other);
        other.EnsureComplete("a part");
        AddToSum(other._sumHigh, other._sumLow);
        _rows += other._rows;
    }

    /// <summary>The table's entry; the stream must have ended with a complete row.</summary>
    /// <exception cref="InvalidDataException">The stream ended inside a row.</exception>
    public TableFingerprint ToFingerprint(string table)
    {
        EnsureComplete(table);
        return new TableFingerprint(table, _rows, new UInt128(_sumHigh, _sumLow).ToString("x32", CultureInfo.InvariantCulture));
    }

    /// <summary>The sum modulo 2^128, by halves: the low half's overflow carries into the high half.</summary>
    private void AddToSum(ulong high, ulong low)
    {
        unchecked
        {
            var sumLow = _sumLow + low;
            _sumHigh += high + (sumLow < low ? 1UL : 0UL);
            _sumLow = sumLow;
        }
    }

    private void EnsureComplete(string what)
    {
        if (_inRow)
        {
            throw new InvalidDataException($"the COPY text of {what} ended inside a row");
        }
    }
}
