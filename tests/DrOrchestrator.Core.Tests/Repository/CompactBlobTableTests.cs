using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Repository;

public sealed class CompactBlobTableTests
{
    private static BlobLocation RandomLocation(Random rng) => new(
        rng.Next(0, (int)CompactBlobTable.MaxPack + 1),
        (uint)rng.NextInt64(0, CompactBlobTable.MaxOffset + 1),
        (uint)rng.NextInt64(0, CompactBlobTable.MaxLength + 1),
        (uint)rng.NextInt64(0, CompactBlobTable.MaxLength + 1),
        rng.Next(2) == 0 ? BlobType.Data : BlobType.Tree,
        rng.Next(2) == 0);

    private static BlobId RandomId(Random rng)
    {
        var bytes = new byte[BlobId.Size];
        rng.NextBytes(bytes);
        return new BlobId(bytes);
    }

    [Fact]
    public void Lookups_equal_a_dictionarys_over_random_ids_bulk_loaded_then_appended()
    {
        var rng = new Random(14);
        var table = new CompactBlobTable();
        var expected = new Dictionary<BlobId, BlobLocation>();
        for (var i = 0; i < 300_000; i++)
        {
            var id = RandomId(rng);
            var location = RandomLocation(rng);
            table.Append(id, location);
            expected.Add(id, location);
        }

        table.Compact();
        // After the bulk load, single appends interleaved with lookups (a backup adding packs).
        for (var i = 0; i < 20_000; i++)
        {
            var id = RandomId(rng);
            var location = RandomLocation(rng);
            Assert.True(table.TryAdd(id, location));
            expected.Add(id, location);
            Assert.True(table.TryGet(id, out var got));
            Assert.Equal(location, got);
        }

        Assert.Equal(expected.Count, table.Count);
        foreach (var (id, location) in expected)
        {
            Assert.True(table.TryGet(id, out var got), $"{id} missing");
            Assert.Equal(location, got);
        }

        for (var i = 0; i < 50_000; i++)
        {
            Assert.False(table.TryGet(RandomId(rng), out _));
        }

        var all = table.Enumerate().ToList();
        Assert.Equal(expected.Count, all.Count);
        Assert.Equal(expected.OrderBy(p => p.Key), all);
    }

    [Fact]
    public void Ids_sharing_all_but_their_last_bit_or_their_bucket_stay_apart()
    {
        var table = new CompactBlobTable();
        var a = new BlobId(0xABCD_0000_0000_0001, 2, 3, 4);
        var b = new BlobId(0xABCD_0000_0000_0001, 2, 3, 5);
        var c = new BlobId(0x1BCD_0000_0000_0001, 2, 3, 4); // same low 48 bits, other bucket
        var la = new BlobLocation(1, 10, 20, 30, BlobType.Data, false);
        var lb = new BlobLocation(2, 11, 21, 31, BlobType.Tree, true);
        var lc = new BlobLocation(3, 12, 22, 32, BlobType.Data, true);
        table.Append(a, la);
        table.Append(b, lb);
        table.Append(c, lc);

        Assert.True(table.TryGet(a, out var ga));
        Assert.True(table.TryGet(b, out var gb));
        Assert.True(table.TryGet(c, out var gc));
        Assert.Equal((la, lb, lc), (ga, gb, gc));
        Assert.Equal([c, a, b], table.Enumerate().Select(p => p.Key));
    }

    [Fact]
    public void A_duplicate_keeps_the_first_record()
    {
        var table = new CompactBlobTable();
        var id = new BlobId(7, 7, 7, 7);
        var first = new BlobLocation(1, 1, 1, 1, BlobType.Data, false);
        table.Append(id, first);
        Assert.True(table.TryGet(id, out _));
        table.Append(id, new BlobLocation(2, 2, 2, 2, BlobType.Data, true));
        Assert.False(table.TryAdd(id, new BlobLocation(3, 3, 3, 3, BlobType.Tree, true)));

        Assert.True(table.TryGet(id, out var got));
        Assert.Equal(first, got);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void A_location_beyond_the_record_limits_is_refused_with_the_field_named()
    {
        var table = new CompactBlobTable();
        var e = Assert.Throws<FormatException>(() => table.Append(new BlobId(1, 2, 3, 4),
            new BlobLocation(0, (uint)CompactBlobTable.MaxOffset + 1, 10, 10, BlobType.Data, false)));
        Assert.Equal($"blob offset {CompactBlobTable.MaxOffset + 1} is beyond what the index holds (at most {CompactBlobTable.MaxOffset})", e.Message);
        e = Assert.Throws<FormatException>(() => table.Append(new BlobId(1, 2, 3, 4),
            new BlobLocation((int)CompactBlobTable.MaxPack + 1, 0, 10, 10, BlobType.Data, false)));
        Assert.StartsWith("blob pack number", e.Message);
        Assert.Equal(0, table.Count);
    }
}
