using System.Runtime.InteropServices;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Blob id → location for tens of millions of blobs in fixed-size 44-byte records held in large
/// arrays (no object, dictionary node or bucket array per blob). The ids are split by their first
/// 16 bits into 65,536 buckets, so a record keeps only the other 240 bits of the id next to the
/// location packed into 112 bits; each bucket is one array sorted by id and searched by binary
/// search. Appends go to the end of a bucket and are merged into its sorted part on the next
/// lookup (one binary search and one shift for the usual one or two new records, a sort for many),
/// so a bulk load costs one sort per bucket at <see cref="Compact"/>.
/// A duplicate id keeps the first record merged. Not thread-safe: <see cref="RepositoryIndex"/> locks.
/// </summary>
internal sealed class CompactBlobTable
{
    /// <summary>What one blob costs in the table (the figure docs/decisions.md measures).</summary>
    public const int RecordSize = 44;

    private const int BucketBits = 16;
    private const int BucketCount = 1 << BucketBits;

    /// <summary>Above this many unsorted appends a bucket is re-sorted rather than merged one by one.</summary>
    private const int MergeOneByOneLimit = 8;

    private readonly Record[]?[] _buckets = new Record[BucketCount][];
    private readonly int[] _counts = new int[BucketCount];
    private readonly int[] _sortedCounts = new int[BucketCount];

    /// <summary>Largest values a record can hold; <see cref="Append"/> refuses more (a FormatException names the field).</summary>
    public const long MaxOffset = (1L << OffsetBits) - 1;

    public const long MaxLength = (1L << LengthBits) - 1;

    public const long MaxPack = (1L << PackBits) - 1;

    // 112 location bits: offset 29 (packs up to 512 MiB), length 27, plain length 27 (chunks up to
    // 64 MiB plus sealing overhead), pack number 27 (134 million packs), type 1, compressed 1.
    private const int OffsetBits = 29;
    private const int LengthBits = 27;
    private const int PackBits = 27;

    /// <summary>Number of distinct blobs (merges every pending append first).</summary>
    public int Count
    {
        get
        {
            var total = 0;
            for (var b = 0; b < BucketCount; b++)
            {
                EnsureSorted(b);
                total += _counts[b];
            }

            return total;
        }
    }

    /// <summary>Adds a record without looking for an earlier one; a duplicate is dropped when its bucket is next merged.</summary>
    public void Append(BlobId id, in BlobLocation location)
    {
        var record = Record.Create(id, location);
        var b = BucketOf(id);
        var items = _buckets[b];
        var n = _counts[b];
        if (items is null || n == items.Length)
        {
            Array.Resize(ref items, Math.Max(4, n + (n >> 2) + 1));
            _buckets[b] = items;
        }

        items[n] = record;
        _counts[b] = n + 1;
    }

    /// <summary>
    /// Grows every bucket at once to hold about <paramref name="more"/> further records (their mean
    /// share plus four standard deviations), so a bulk load of millions does not reallocate each
    /// bucket a dozen times. Below 16 per bucket it does nothing: small tables grow as they go.
    /// </summary>
    public void Reserve(long more)
    {
        var mean = more / (double)BucketCount;
        if (mean < 16)
        {
            return;
        }

        var extra = (int)Math.Ceiling(mean + (4 * Math.Sqrt(mean)));
        for (var b = 0; b < BucketCount; b++)
        {
            var items = _buckets[b];
            if (items is null || items.Length < _counts[b] + extra)
            {
                Array.Resize(ref items, _counts[b] + extra);
                _buckets[b] = items;
            }
        }
    }

    /// <summary>Adds the record unless the id is already present; true when added.</summary>
    public bool TryAdd(BlobId id, in BlobLocation location)
    {
        if (TryGet(id, out _))
        {
            return false;
        }

        Append(id, location);
        return true;
    }

    public bool TryGet(BlobId id, out BlobLocation location)
    {
        var b = BucketOf(id);
        EnsureSorted(b);
        var items = _buckets[b];
        if (items is not null)
        {
            var at = Find(items, _counts[b], Record.KeyOf(id));
            if (at >= 0)
            {
                location = items[at].Location;
                return true;
            }
        }

        location = default;
        return false;
    }

    /// <summary>Merges every pending append and trims every bucket to its exact size (after a bulk load).</summary>
    public void Compact()
    {
        for (var b = 0; b < BucketCount; b++)
        {
            EnsureSorted(b);
            if (_buckets[b] is { } items && items.Length != _counts[b])
            {
                Array.Resize(ref items, _counts[b]);
                _buckets[b] = items;
            }
        }
    }

    /// <summary>Every blob, in id order.</summary>
    public IEnumerable<KeyValuePair<BlobId, BlobLocation>> Enumerate()
    {
        for (var b = 0; b < BucketCount; b++)
        {
            EnsureSorted(b);
            var items = _buckets[b];
            for (var i = 0; i < _counts[b]; i++)
            {
                yield return KeyValuePair.Create(items![i].Id(b), items[i].Location);
            }
        }
    }

    /// <summary>Bytes <see cref="WriteTo"/> writes for <paramref name="records"/> records: the bucket counts, then the records.</summary>
    public static long SerializedSize(long records) => (BucketCount * sizeof(int)) + (records * RecordSize);

    /// <summary>
    /// Writes the table as it sits in memory (the local index cache, docs/decisions.md §24): the
    /// 65,536 bucket counts, then every bucket's sorted records, 44 bytes each, in this machine's
    /// byte order. Merges pending appends first.
    /// </summary>
    public void WriteTo(Stream output)
    {
        for (var b = 0; b < BucketCount; b++)
        {
            EnsureSorted(b);
        }

        output.Write(MemoryMarshal.AsBytes(_counts.AsSpan()));
        for (var b = 0; b < BucketCount; b++)
        {
            if (_counts[b] > 0)
            {
                output.Write(MemoryMarshal.AsBytes(_buckets[b].AsSpan(0, _counts[b])));
            }
        }
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote, each bucket straight into an array of its exact size
    /// (no growth slack, no sort, no transient buffer). FormatException when the counts do not add
    /// up to <paramref name="records"/>; the records themselves are trusted, so the caller must
    /// authenticate the bytes before using the table.
    /// </summary>
    public static CompactBlobTable ReadFrom(Stream input, long records)
    {
        var table = new CompactBlobTable();
        input.ReadExactly(MemoryMarshal.AsBytes(table._counts.AsSpan()));
        long total = 0;
        foreach (var n in table._counts)
        {
            total += n >= 0 ? n : throw new FormatException($"a bucket count is negative ({n})");
        }

        if (total != records)
        {
            throw new FormatException($"the buckets hold {total} records, the header says {records}");
        }

        for (var b = 0; b < BucketCount; b++)
        {
            var n = table._counts[b];
            if (n > 0)
            {
                // Pinned: a table this size lives as long as its repository, and the pinned heap
                // neither copies it through the generations nor zeroes what is read over at once.
                var items = GC.AllocateUninitializedArray<Record>(n, pinned: true);
                input.ReadExactly(MemoryMarshal.AsBytes(items.AsSpan()));
                table._buckets[b] = items;
                table._sortedCounts[b] = n;
            }
        }

        return table;
    }

    /// <summary>Throws the FormatException <see cref="Append"/> would for a blob range no record can hold.</summary>
    public static void CheckFits(uint offset, uint length, uint plainLength) => Record.CheckFits(offset, length, plainLength);

    private static int BucketOf(BlobId id) => (int)(id.Words.A >> (64 - BucketBits));

    private void EnsureSorted(int b)
    {
        var sorted = _sortedCounts[b];
        var n = _counts[b];
        if (sorted == n)
        {
            return;
        }

        var items = _buckets[b]!;
        if (n - sorted > MergeOneByOneLimit)
        {
            var span = items.AsSpan(0, n);
            span.Sort(default(RecordOrder));
            n = DropDuplicates(span);
        }
        else
        {
            for (var i = sorted; i < _counts[b]; i++)
            {
                var record = items[i];
                var at = Find(items, sorted, record.Key);
                if (at >= 0)
                {
                    continue; // first wins
                }

                at = ~at;
                Array.Copy(items, at, items, at + 1, sorted - at);
                items[at] = record;
                sorted++;
            }

            n = sorted;
        }

        _counts[b] = n;
        _sortedCounts[b] = n;
    }

    private static int DropDuplicates(Span<Record> sorted)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var kept = 1;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (RecordOrder.Compare(sorted[i].Key, sorted[kept - 1].Key) != 0)
            {
                sorted[kept++] = sorted[i];
            }
        }

        return kept;
    }

    /// <summary>Index of the key among the first <paramref name="count"/> (sorted) records, or the complement of where it would go.</summary>
    private static int Find(Record[] items, int count, in Key key)
    {
        int lo = 0, hi = count - 1;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var c = RecordOrder.Compare(items[mid].Key, key);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    /// <summary>The 240 id bits a record keeps: the low 48 bits of the first word and the three others.</summary>
    private readonly record struct Key(ulong A48, ulong B, ulong C, ulong D);

    private readonly struct RecordOrder : IComparer<Record>
    {
        public int Compare(Record x, Record y) => Compare(x.Key, y.Key);

        public static int Compare(in Key x, in Key y) =>
            x.A48 != y.A48 ? x.A48.CompareTo(y.A48)
            : x.B != y.B ? x.B.CompareTo(y.B)
            : x.C != y.C ? x.C.CompareTo(y.C)
            : x.D.CompareTo(y.D);
    }

    [StructLayout(LayoutKind.Sequential, Pack = 2)]
    private readonly struct Record
    {
        private readonly uint _aLow;
        private readonly ushort _aMid;
        private readonly ulong _b;
        private readonly ulong _c;
        private readonly ulong _d;
        private readonly ulong _location0;
        private readonly uint _location1;
        private readonly ushort _location2;

        private Record(ulong a48, ulong b, ulong c, ulong d, UInt128 location)
        {
            _aLow = (uint)a48;
            _aMid = (ushort)(a48 >> 32);
            _b = b;
            _c = c;
            _d = d;
            _location0 = (ulong)location;
            _location1 = (uint)(location >> 64);
            _location2 = (ushort)(location >> 96);
        }

        public Key Key => new(((ulong)_aMid << 32) | _aLow, _b, _c, _d);

        public static Key KeyOf(BlobId id)
        {
            var (a, b, c, d) = id.Words;
            return new Key(a & 0xFFFF_FFFF_FFFF, b, c, d);
        }

        public BlobId Id(int bucket) => new(((ulong)bucket << 48) | ((ulong)_aMid << 32) | _aLow, _b, _c, _d);

        public BlobLocation Location
        {
            get
            {
                var bits = ((UInt128)_location2 << 96) | ((UInt128)_location1 << 64) | _location0;
                return new BlobLocation(
                    Pack: (int)Field(bits, OffsetBits + LengthBits + LengthBits, PackBits),
                    Offset: (uint)Field(bits, 0, OffsetBits),
                    Length: (uint)Field(bits, OffsetBits, LengthBits),
                    PlainLength: (uint)Field(bits, OffsetBits + LengthBits, LengthBits),
                    Type: Field(bits, OffsetBits + LengthBits + LengthBits + PackBits, 1) == 1 ? BlobType.Tree : BlobType.Data,
                    Compressed: Field(bits, OffsetBits + LengthBits + LengthBits + PackBits + 1, 1) == 1);
            }
        }

        public static Record Create(BlobId id, in BlobLocation location)
        {
            CheckFits(location.Offset, location.Length, location.PlainLength);
            Check(location.Pack, MaxPack, "pack number");
            var bits = (UInt128)location.Offset
                | ((UInt128)location.Length << OffsetBits)
                | ((UInt128)location.PlainLength << (OffsetBits + LengthBits))
                | ((UInt128)(uint)location.Pack << (OffsetBits + LengthBits + LengthBits))
                | ((UInt128)(location.Type == BlobType.Tree ? 1u : 0u) << (OffsetBits + LengthBits + LengthBits + PackBits))
                | ((UInt128)(location.Compressed ? 1u : 0u) << (OffsetBits + LengthBits + LengthBits + PackBits + 1));
            var key = KeyOf(id);
            return new Record(key.A48, key.B, key.C, key.D, bits);
        }

        public static void CheckFits(uint offset, uint length, uint plainLength)
        {
            Check(offset, MaxOffset, "offset");
            Check(length, MaxLength, "length");
            Check(plainLength, MaxLength, "plain length");
        }

        private static ulong Field(UInt128 bits, int shift, int width) => (ulong)(bits >> shift) & ((1UL << width) - 1);

        private static void Check(long value, long max, string field)
        {
            if (value < 0 || value > max)
            {
                throw new FormatException($"blob {field} {value} is beyond what the index holds (at most {max})");
            }
        }
    }
}
