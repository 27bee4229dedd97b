using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Tests.Repository;

public sealed class RepositoryIndexTests
{
    private static PackRecord Pack(int seed, int entries)
    {
        var rng = new Random(seed);
        var bytes = new byte[BlobId.Size];
        BlobId Next()
        {
            rng.NextBytes(bytes);
            return new BlobId(bytes);
        }

        var list = new List<PackEntry>();
        uint offset = 0;
        for (var i = 0; i < entries; i++)
        {
            var length = (uint)rng.Next(100, 5000);
            list.Add(new PackEntry(i % 3 == 0 ? BlobType.Tree : BlobType.Data, i % 2 == 0, Next(), offset, length, length + 7));
            offset += length;
        }

        return new PackRecord(Next(), offset, list);
    }

    [Fact]
    public void An_encoded_index_adds_every_entry_with_its_pack()
    {
        PackRecord[] packs = [Pack(1, 40), Pack(2, 25)];
        var index = new RepositoryIndex();

        index.AddEncoded(RepositoryIndex.Encode(packs));
        index.Compact();

        Assert.Equal(65, index.BlobCount);
        Assert.Equal(packs.Select(p => (p.Id, p.Size)), index.Packs());
        foreach (var pack in packs)
        {
            foreach (var e in pack.Entries)
            {
                Assert.True(index.TryGet(e.Id, out var location));
                Assert.Equal(pack.Id, index.PackId(location.Pack));
                Assert.Equal((e.Offset, e.Length, e.PlainLength, e.Type, e.Compressed), (location.Offset, location.Length, location.PlainLength, location.Type, location.Compressed));
            }
        }

        // Adding after the compaction (the pack map is rebuilt): same pack again is not a new pack.
        index.Add(packs[0]);
        Assert.Equal(2, index.Packs().Count);
        Assert.Equal(65, index.BlobCount);
    }

    [Fact]
    public void A_malformed_index_payload_adds_nothing()
    {
        var encoded = RepositoryIndex.Encode([Pack(3, 10), Pack(4, 10)]);
        var index = new RepositoryIndex();

        var truncated = Assert.Throws<FormatException>(() => index.AddEncoded(encoded.AsSpan(0, encoded.Length - 20)));
        Assert.Equal("index ends inside a pack's entries", truncated.Message);
        var trailing = Assert.Throws<FormatException>(() => index.AddEncoded([.. encoded, 0]));
        Assert.Equal("index has 1 trailing bytes", trailing.Message);
        var tooFar = encoded.ToArray();
        tooFar[^5] = 0x40; // the last entry's length: 0x40xxxxxx > 128 MiB
        Assert.StartsWith("blob length", Assert.Throws<FormatException>(() => index.AddEncoded(tooFar)).Message);
        encoded[5 + 44] = 9; // the first entry's type byte
        Assert.Throws<FormatException>(() => index.AddEncoded(encoded));

        Assert.Equal(0, index.BlobCount);
        Assert.Empty(index.Packs());
    }
}
