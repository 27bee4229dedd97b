using System.Text;
using DrOrchestrator.Sources.PostgreSql;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>The client-side fingerprint's arithmetic (§65): rows are lines, their hashes add up whatever the order, the buffer split or the ctid ranges.</summary>
public sealed class CopyRowHasherTests
{
    private static readonly string[] Rows =
    [
        "1\tGrüße ✓\t\\\\x00ff\t{\"a\": 1}",
        "2\tline\\nbreak inside\t\\N\t{}",
        "3\t\t\\\\x\t[]",
        "",
        "4\ttab\\there\t\\\\xdeadbeef\tnull",
    ];

    [Fact]
    public void The_hash_does_not_depend_on_row_order_or_on_how_the_stream_is_cut()
    {
        var whole = Hash(Encoding.UTF8.GetBytes(string.Join("", Rows.Select(r => r + "\n"))), int.MaxValue);
        var reversed = Hash(Encoding.UTF8.GetBytes(string.Join("", Rows.Reverse().Select(r => r + "\n"))), int.MaxValue);
        Assert.Equal(whole, reversed);
        Assert.Equal(5, whole.Rows);
        Assert.Matches("^[0-9a-f]{32}$", whole.Hash);
        for (var cut = 1; cut < 12; cut++)
        {
            Assert.Equal(whole, Hash(Encoding.UTF8.GetBytes(string.Join("", Rows.Select(r => r + "\n"))), cut));
        }
    }

    [Fact]
    public void Parts_add_up_to_the_whole_table()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join("", Rows.Select(r => r + "\n")));
        var split = Encoding.UTF8.GetBytes(Rows[0] + "\n" + Rows[1] + "\n").Length;
        var (first, second) = (new CopyRowHasher(), new CopyRowHasher());
        first.Append(bytes.AsSpan(0, split));
        second.Append(bytes.AsSpan(split));
        var total = new CopyRowHasher();
        total.Add(first);
        total.Add(second);
        Assert.Equal(Hash(bytes, int.MaxValue), total.ToFingerprint("t"));
    }

    [Fact]
    public void A_changed_byte_a_duplicated_row_or_a_missing_row_changes_the_fingerprint()
    {
        var original = Hash(Encoding.UTF8.GetBytes(string.Join("", Rows.Select(r => r + "\n"))), int.MaxValue);
        var changed = Hash(Encoding.UTF8.GetBytes(string.Join("", Rows.Select(r => r.Replace("ff", "fe", StringComparison.Ordinal) + "\n"))), int.MaxValue);
        Assert.Equal(original.Rows, changed.Rows);
        Assert.NotEqual(original.Hash, changed.Hash);
        // Two copies of one row instead of two different rows: a XOR would cancel them, the sum does not.
        var twice = Hash(Encoding.UTF8.GetBytes(Rows[0] + "\n" + Rows[0] + "\n"), int.MaxValue);
        var none = Hash([], int.MaxValue);
        Assert.NotEqual(none.Hash, twice.Hash);
        Assert.Equal(new string('0', 32), none.Hash);
    }

    [Fact]
    public void The_fingerprint_is_the_sum_modulo_2_to_the_128_of_each_rows_XxHash128()
    {
        // §65's definition written out, so a faster hasher (§73 measured one) cannot change the
        // manifest's text unnoticed: manifests written before it must still verify. 2,000 rows:
        // the sum's low 64 bits overflow into the high ones about every other row.
        var rows = Enumerable.Range(0, 2_000).Select(i => $"{i}\t{i * 7919 % 1000}\tfiller {new string('x', i % 90)}").ToArray();
        var expected = UInt128.Zero;
        foreach (var row in rows)
        {
            expected = unchecked(expected + System.IO.Hashing.XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(row)));
        }

        var bytes = Encoding.UTF8.GetBytes(string.Join("", rows.Select(r => r + "\n")));
        Assert.Equal(new Core.Sources.TableFingerprint("t", 2_000, expected.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)), Hash(bytes, int.MaxValue));
        Assert.Equal(Hash(bytes, int.MaxValue), Hash(bytes, 4_093));
    }

    [Fact]
    public void A_stream_that_ends_inside_a_row_is_refused()
    {
        var hasher = new CopyRowHasher();
        hasher.Append("1\tcomplete\n2\tcut"u8);
        var e = Assert.Throws<InvalidDataException>(() => hasher.ToFingerprint("public.notes"));
        Assert.Equal("the COPY text of public.notes ended inside a row", e.Message);
    }

    private static Core.Sources.TableFingerprint Hash(byte[] bytes, int cut)
    {
        var hasher = new CopyRowHasher();
        for (var offset = 0; offset < bytes.Length; offset += cut)
        {
            hasher.Append(bytes.AsSpan(offset, Math.Min(cut, bytes.Length - offset)));
        }

        return hasher.ToFingerprint("t");
    }
}
