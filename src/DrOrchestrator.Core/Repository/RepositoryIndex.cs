using System.Buffers.Binary;

namespace DrOrchestrator.Core.Repository;

/// <summary>Where a blob lives: pack number (into <see cref="RepositoryIndex"/>'s pack table) and byte range.</summary>
internal readonly record struct BlobLocation(int Pack, uint Offset, uint Length, uint PlainLength, BlobType Type, bool Compressed);

/// <summary>One pack as recorded by an index file.</summary>
internal sealed record PackRecord(BlobId Id, long Size, IReadOnlyList<PackEntry> Entries);

/// <summary>
/// The in-memory blob index: every blob id → pack and range, loaded from all <c>index/</c> objects.
/// Blobs sit in a <see cref="CompactBlobTable"/> (44 bytes each, no object per blob); pack ids are
/// kept once in a table, and the id → pack number map that only adding packs needs is dropped by
/// <see cref="Compact"/> and rebuilt on the next <see cref="Add"/>. Thread-safe (a lock; one lookup
/// per ~1 MiB chunk is cheap).
/// </summary>
internal sealed class RepositoryIndex
{
    private readonly Lock _lock = new();
    private readonly CompactBlobTable _blobs;
    private readonly List<BlobId> _packIds;
    private readonly List<long> _packSizes;
    private Dictionary<BlobId, int>? _packNumbers;

    public RepositoryIndex()
        : this(new CompactBlobTable(), [], [])
    {
        _packNumbers = [];
    }

    private RepositoryIndex(CompactBlobTable blobs, List<BlobId> packIds, List<long> packSizes)
    {
        _blobs = blobs;
        _packIds = packIds;
        _packSizes = packSizes;
    }

    public int BlobCount
    {
        get
        {
            lock (_lock)
            {
                return _blobs.Count;
            }
        }
    }

    public bool Contains(BlobId id)
    {
        lock (_lock)
        {
            return _blobs.TryGet(id, out _);
        }
    }

    public bool TryGet(BlobId id, out BlobLocation location)
    {
        lock (_lock)
        {
            return _blobs.TryGet(id, out location);
        }
    }

    public BlobId PackId(int pack)
    {
        lock (_lock)
        {
            return _packIds[pack];
        }
    }

    /// <summary>Snapshot of every pack (id, size) known to the index.</summary>
    public IReadOnlyList<(BlobId Id, long Size)> Packs()
    {
        lock (_lock)
        {
            return [.. _packIds.Select((id, i) => (id, _packSizes[i]))];
        }
    }

    /// <summary>Snapshot of every blob with its location.</summary>
    public IReadOnlyList<KeyValuePair<BlobId, BlobLocation>> Blobs()
    {
        lock (_lock)
        {
            return [.. _blobs.Enumerate()];
        }
    }

    /// <summary>
    /// Sorts what a bulk load appended and releases the memory only loading needed (growth slack,
    /// the pack id map). Called once the repository's index objects are all in.
    /// </summary>
    public void Compact()
    {
        lock (_lock)
        {
            _blobs.Compact();
            _packIds.TrimExcess();
            _packSizes.TrimExcess();
            _packNumbers = null;
        }
    }

    /// <summary>
    /// The tree <paramref name="id"/> (at <paramref name="location"/>) and the trees around it in
    /// the same pack that one ranged read should cover: neighbours closer than
    /// <paramref name="maxGap"/> bytes, the whole run at most <paramref name="maxSpan"/> bytes, in
    /// offset order. Serves batched tree reads (a restore of many directories reads neighbouring
    /// trees with one request instead of one each). The per-pack tables are built on first use and
    /// kept current by <see cref="Add"/>; a run is found by binary search, not by copying the pack's list.
    /// </summary>
    public List<(BlobId Id, BlobLocation Location)> TreeRun(BlobId id, in BlobLocation location, uint maxGap, long maxSpan)
    {
        lock (_lock)
        {
            if (_treesByPack is null)
            {
                _treesByPack = [];
                foreach (var (blob, where) in _blobs.Enumerate())
                {
                    AddTree(blob, where);
                }

                foreach (var list in _treesByPack.Values)
                {
                    list.Sort(ByOffset);
                }
            }

            if (!_treesByPack.TryGetValue(location.Pack, out var trees))
            {
                return [];
            }

            var at = trees.BinarySearch((id, location), ByOffset); // offsets are unique within a pack
            if (at < 0 || trees[at].Id != id)
            {
                return [];
            }

            static long End(BlobLocation l) => (long)l.Offset + l.Length;
            int first = at, last = at;
            while (first > 0 && trees[first].Location.Offset - End(trees[first - 1].Location) <= maxGap
                   && End(trees[last].Location) - trees[first - 1].Location.Offset <= maxSpan)
            {
                first--;
            }

            while (last + 1 < trees.Count && trees[last + 1].Location.Offset - End(trees[last].Location) <= maxGap
                   && End(trees[last + 1].Location) - trees[first].Location.Offset <= maxSpan)
            {
                last++;
            }

            return trees.GetRange(first, last - first + 1);
        }
    }

    private static readonly Comparer<(BlobId Id, BlobLocation Location)> ByOffset =
        Comparer<(BlobId Id, BlobLocation Location)>.Create((a, b) => a.Location.Offset.CompareTo(b.Location.Offset));

    private Dictionary<int, List<(BlobId Id, BlobLocation Location)>>? _treesByPack;

    private void AddTree(BlobId id, BlobLocation location)
    {
        if (location.Type != BlobType.Tree)
        {
            return;
        }

        if (!_treesByPack!.TryGetValue(location.Pack, out var list))
        {
            _treesByPack.Add(location.Pack, list = []);
        }

        list.Add((id, location));
    }

    public void Add(PackRecord pack)
    {
        lock (_lock)
        {
            var number = PackNumber(pack.Id, pack.Size);
            foreach (var e in pack.Entries)
            {
                AddEntry(number, e);
            }
        }
    }

    /// <summary>The pack's number, registering it if new. Caller holds the lock.</summary>
    private int PackNumber(BlobId id, long size)
    {
        if (_packNumbers is null)
        {
            _packNumbers = new Dictionary<BlobId, int>(_packIds.Count);
            for (var i = 0; i < _packIds.Count; i++)
            {
                _packNumbers.TryAdd(_packIds[i], i);
            }
        }

        if (!_packNumbers.TryGetValue(id, out var number))
        {
            number = _packIds.Count;
            _packIds.Add(id);
            _packSizes.Add(size);
            _packNumbers.Add(id, number);
        }

        return number;
    }

    /// <summary>Caller holds the lock. First writer wins: a duplicate copy (two runs racing) is equally valid.</summary>
    private void AddEntry(int pack, in PackEntry e)
    {
        var location = new BlobLocation(pack, e.Offset, e.Length, e.PlainLength, e.Type, e.Compressed);
        if (_treesByPack is not null && e.Type == BlobType.Tree)
        {
            if (_blobs.TryAdd(e.Id, location))
            {
                AddTree(e.Id, location); // entries of one pack arrive in offset order
            }
        }
        else
        {
            _blobs.Append(e.Id, location);
        }
    }

    /// <summary>
    /// Adds every pack of one index object's payload (the format of <see cref="Encode"/>) without
    /// building a record per entry: the whole payload is checked first, so a malformed one adds
    /// nothing (FormatException).
    /// </summary>
    public void AddEncoded(ReadOnlySpan<byte> payload)
    {
        var packs = Validate(payload);
        lock (_lock)
        {
            var pos = 5;
            for (var i = 0; i < packs; i++)
            {
                var (id, size, n) = ReadPackRecordHead(payload, ref pos);
                var number = PackNumber(id, size);
                for (var j = 0; j < n; j++)
                {
                    AddEntry(number, PackEntry.Read(payload.Slice(pos, PackEntry.EncodedSize)));
                    pos += PackEntry.EncodedSize;
                }
            }
        }
    }

    /// <summary>The packs of one index object's payload as records (prune reads index objects one by one); FormatException when malformed.</summary>
    public static List<PackRecord> Decode(ReadOnlySpan<byte> payload)
    {
        var packs = Validate(payload);
        var records = new List<PackRecord>(packs);
        var pos = 5;
        for (var i = 0; i < packs; i++)
        {
            var (id, size, n) = ReadPackRecordHead(payload, ref pos);
            var entries = new PackEntry[n];
            for (var j = 0; j < n; j++)
            {
                entries[j] = PackEntry.Read(payload.Slice(pos, PackEntry.EncodedSize));
                pos += PackEntry.EncodedSize;
            }

            records.Add(new PackRecord(id, size, entries));
        }

        return records;
    }

    /// <summary>A pack record's id, size and entry count at <paramref name="pos"/> of a validated payload; moves past them.</summary>
    private static (BlobId Id, long Size, int Entries) ReadPackRecordHead(ReadOnlySpan<byte> payload, ref int pos)
    {
        var head = (new BlobId(payload.Slice(pos, 32)), BinaryPrimitives.ReadInt64LittleEndian(payload[(pos + 32)..]), BinaryPrimitives.ReadInt32LittleEndian(payload[(pos + 40)..]));
        pos += 44;
        return head;
    }

    /// <summary>Bytes of a pack in <see cref="WriteTo"/>'s layout: its id and size.</summary>
    private const int SerializedPackSize = BlobId.Size + sizeof(long);

    /// <summary>
    /// Writes the built index as it sits in memory (the local index cache, docs/decisions.md §24):
    /// pack count i32 | blob count i64 | per pack: id[32] size i64 | the blob table
    /// (<see cref="CompactBlobTable.WriteTo"/>). Little-endian; the table's records in this
    /// machine's byte order.
    /// </summary>
    public void WriteTo(Stream output)
    {
        lock (_lock)
        {
            var blobCount = _blobs.Count;
            Span<byte> head = stackalloc byte[12];
            BinaryPrimitives.WriteInt32LittleEndian(head, _packIds.Count);
            BinaryPrimitives.WriteInt64LittleEndian(head[4..], blobCount);
            output.Write(head);
            var buffer = new byte[4096 * SerializedPackSize];
            var filled = 0;
            for (var i = 0; i < _packIds.Count; i++)
            {
                _packIds[i].WriteTo(buffer.AsSpan(filled));
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(filled + BlobId.Size), _packSizes[i]);
                filled += SerializedPackSize;
                if (filled == buffer.Length)
                {
                    output.Write(buffer);
                    filled = 0;
                }
            }

            output.Write(buffer.AsSpan(0, filled));
            _blobs.WriteTo(output);
        }
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote, which must be exactly <paramref name="length"/>
    /// bytes (checked against the counts before anything is allocated, so a damaged header cannot
    /// ask for more memory than the file holds). FormatException when the layout does not add up;
    /// the content is trusted, so the caller authenticates the bytes before using the index.
    /// </summary>
    public static RepositoryIndex ReadFrom(Stream input, long length)
    {
        Span<byte> head = stackalloc byte[12];
        input.ReadExactly(head);
        var packCount = BinaryPrimitives.ReadInt32LittleEndian(head);
        var blobCount = BinaryPrimitives.ReadInt64LittleEndian(head[4..]);
        if (packCount < 0 || packCount > CompactBlobTable.MaxPack + 1 || blobCount < 0 || blobCount > int.MaxValue
            || 12 + ((long)packCount * SerializedPackSize) + CompactBlobTable.SerializedSize(blobCount) != length)
        {
            throw new FormatException($"{packCount} packs and {blobCount} blobs do not fill {length} bytes");
        }

        var packIds = new List<BlobId>(packCount);
        var packSizes = new List<long>(packCount);
        var buffer = new byte[4096 * SerializedPackSize];
        for (var read = 0; read < packCount;)
        {
            var n = Math.Min(4096, packCount - read);
            var chunk = buffer.AsSpan(0, n * SerializedPackSize);
            input.ReadExactly(chunk);
            for (var i = 0; i < n; i++)
            {
                var at = i * SerializedPackSize;
                packIds.Add(new BlobId(chunk.Slice(at, BlobId.Size)));
                packSizes.Add(BinaryPrimitives.ReadInt64LittleEndian(chunk[(at + BlobId.Size)..]));
            }

            read += n;
        }

        return new RepositoryIndex(CompactBlobTable.ReadFrom(input, blobCount), packIds, packSizes);
    }

    /// <summary>Makes room for about this many more blobs at once (a bulk load that knows its size), so the table does not grow step by step.</summary>
    public void Reserve(long blobs)
    {
        lock (_lock)
        {
            _blobs.Reserve(blobs);
        }
    }

    /// <summary>Checks the structure of an index payload; returns its pack count.</summary>
    private static int Validate(ReadOnlySpan<byte> data)
    {
        if (data.Length < 5 || data[0] != 1)
        {
            throw new FormatException("index has an unknown version");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data[1..]);
        long pos = 5;
        for (var i = 0; i < count; i++)
        {
            if (pos + 44 > data.Length)
            {
                throw new FormatException("index ends inside a pack record");
            }

            var n = BinaryPrimitives.ReadInt32LittleEndian(data[(int)(pos + 40)..]);
            pos += 44;
            if (n < 0 || pos + ((long)n * PackEntry.EncodedSize) > data.Length)
            {
                throw new FormatException("index ends inside a pack's entries");
            }

            for (var j = 0; j < n; j++)
            {
                var e = PackEntry.Read(data.Slice((int)pos, PackEntry.EncodedSize));
                CompactBlobTable.CheckFits(e.Offset, e.Length, e.PlainLength);
                pos += PackEntry.EncodedSize;
            }
        }

        if (pos != data.Length)
        {
            throw new FormatException($"index has {data.Length - pos} trailing bytes");
        }

        return count;
    }

    /// <summary>Index file payload: version u8 (=1) | packs u32 | per pack: id[32] | size u64 | count u32 | entries.</summary>
    public static byte[] Encode(IReadOnlyCollection<PackRecord> packs)
    {
        var size = 5 + packs.Sum(p => 44L + (p.Entries.Count * (long)PackEntry.EncodedSize));
        var buffer = new byte[size];
        buffer[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(1), packs.Count);
        var pos = 5;
        foreach (var pack in packs)
        {
            pack.Id.WriteTo(buffer.AsSpan(pos));
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(pos + 32), pack.Size);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(pos + 40), pack.Entries.Count);
            pos += 44;
            foreach (var e in pack.Entries)
            {
                e.Write(buffer.AsSpan(pos));
                pos += PackEntry.EncodedSize;
            }
        }

        return buffer;
    }
}
