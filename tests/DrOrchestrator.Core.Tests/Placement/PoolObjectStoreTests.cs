using System.Security.Cryptography;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class PoolObjectStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly PlacementTestStore[] _stores = [.. Enumerable.Range(1, 4).Select(i => new PlacementTestStore($"m{i}"))];

    private PoolObjectStore Pool(int replicationFactor = 2) =>
        new("p", _stores.Select((s, i) => new PoolMember($"m{i + 1}", s)), replicationFactor);

    private PlacementTestStore Store(PoolMember member) => (PlacementTestStore)member.Store;

    [Fact]
    public async Task A_pack_lands_on_exactly_its_placement_members_and_reads_back_byte_for_byte()
    {
        var pool = Pool();
        var (key, content) = PlacementTestStore.NewPack(100_000);
        await pool.PutAsync(key, new MemoryStream(content), None);

        var placement = pool.Membership.PlacementOf(key);
        Assert.Equal(2, placement.Count);
        Assert.Equal(placement.Select(Store).OrderBy(s => s.Description), _stores.Where(s => s.Contains(key)).OrderBy(s => s.Description));
        Assert.All(placement, m => Assert.Equal(content, Store(m).Bytes(key)));

        await using var read = await pool.GetAsync(key, null, None);
        Assert.Equal(SHA256.HashData(content), await SHA256.HashDataAsync(read));
        Assert.Equal(content.Length, (await pool.StatAsync(key, None))?.Size);
    }

    [Fact]
    public async Task Metadata_goes_to_every_member()
    {
        var pool = Pool();
        byte[] snapshot = [1, 2, 3, 4];
        await pool.PutAsync("snapshots/0123", new MemoryStream(snapshot), None);
        await pool.PutAsync("config", new MemoryStream([9]), None);

        Assert.All(_stores, s => Assert.Equal(snapshot, s.Bytes("snapshots/0123")));
        Assert.All(_stores, s => Assert.Equal([9], s.Bytes("config")));
    }

    [Fact]
    public async Task A_placement_member_that_is_down_is_skipped_on_read()
    {
        var pool = Pool();
        var (key, content) = PlacementTestStore.NewPack();
        await pool.PutAsync(key, new MemoryStream(content), None);

        var primary = Store(pool.Membership.PlacementOf(key)[0]);
        primary.IsDown = true;
        await using var read = await pool.GetAsync(key, new ByteRange(10, 100), None);
        Assert.Equal(content.AsSpan(10, 100).ToArray(), await ReadAllAsync(read));
        Assert.Equal(content.Length, (await pool.StatAsync(key, None))?.Size);
    }

    [Fact]
    public async Task A_copy_outside_the_placement_is_still_found()
    {
        var pool = Pool(replicationFactor: 1);
        var (key, content) = PlacementTestStore.NewPack();
        var stray = _stores.First(s => s != Store(pool.Membership.PlacementOf(key)[0]));
        stray.Seed(key, content);

        await using var read = await pool.GetAsync(key, null, None);
        Assert.Equal(content, await ReadAllAsync(read));
    }

    [Fact]
    public async Task A_missing_object_is_not_found_but_an_unreachable_copy_is_a_transient_error()
    {
        var pool = Pool();
        var missing = await Assert.ThrowsAsync<ObjectNotFoundException>(() => pool.GetAsync("snapshots/00", null, None));
        Assert.Equal("p: snapshots/00: object not found", missing.Message);
        Assert.Null(await pool.StatAsync("snapshots/00", None));

        var (key, content) = PlacementTestStore.NewPack();
        await pool.PutAsync(key, new MemoryStream(content), None);
        foreach (var member in pool.Membership.PlacementOf(key))
        {
            Store(member).IsDown = true;
        }

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => pool.GetAsync(key, null, None));
        Assert.IsNotType<ObjectNotFoundException>(error);
        Assert.True(error.IsTransient);
        Assert.All(pool.Membership.PlacementOf(key), m => Assert.Contains($"mem:{m.Name}: {key}: simulated outage", error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_put_fails_naming_the_placement_member_that_is_down()
    {
        var pool = Pool();
        var (key, content) = PlacementTestStore.NewPack();
        var down = pool.Membership.PlacementOf(key)[1];
        Store(down).IsDown = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => pool.PutAsync(key, new MemoryStream(content), None));
        Assert.Equal($"p: {key}: put failed on 1 of 2 members: mem:{down.Name}: {key}: simulated outage", error.Message);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Listing_is_the_union_of_members_without_duplicates_and_tolerates_fewer_than_R_failures()
    {
        var pool = Pool();
        var packs = Enumerable.Range(0, 30).Select(_ => PlacementTestStore.NewPack(64)).ToList();
        foreach (var (key, content) in packs)
        {
            await pool.PutAsync(key, new MemoryStream(content), None);
        }

        await pool.PutAsync("index/aa", new MemoryStream([1]), None);
        var all = await ListAsync(pool, "");
        Assert.Equal(packs.Select(p => p.Key).Append("index/aa").Order(StringComparer.Ordinal), all.Select(i => i.Key).Order(StringComparer.Ordinal));

        _stores[2].IsDown = true;
        Assert.Equal(30, (await ListAsync(pool, "data/")).Count);
        Assert.Equal(["index/aa"], (await ListAsync(pool, "index/")).Select(i => i.Key));

        _stores[3].IsDown = true;
        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => ListAsync(pool, "data/"));
        Assert.StartsWith("p: listing 'data/' is incomplete: mem:m3: simulated outage; mem:m4: simulated outage", error.Message, StringComparison.Ordinal);
        Assert.Single(await ListAsync(pool, "index/"));
    }

    [Fact]
    public async Task Delete_removes_every_copy_including_strays()
    {
        var pool = Pool();
        var (key, content) = PlacementTestStore.NewPack();
        await pool.PutAsync(key, new MemoryStream(content), None);
        _stores.First(s => !s.Contains(key)).Seed(key, content);

        await pool.DeleteAsync(key, None);
        Assert.All(_stores, s => Assert.False(s.Contains(key)));
        await pool.DeleteAsync(key, None);
    }

    [Fact]
    public async Task A_file_stream_and_an_unseekable_stream_are_read_whole_by_every_member()
    {
        var pool = Pool(replicationFactor: 4);
        var (key, content) = PlacementTestStore.NewPack(300_000);
        var path = Path.Combine(Path.GetTempPath(), $"pool-test-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(path, [0xAA, 0xBB, .. content]);
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                file.Position = 2;
                await pool.PutAsync(key, file, None);

                // Each member read its own handle opened by name: the caller's stream did not move.
                Assert.Equal(2, file.Position);
            }

            Assert.All(_stores, s => Assert.Equal(content, s.Bytes(key)));

            // A file that can no longer be opened by name is spooled once instead.
            await using (var unlinked = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
            {
                File.Delete(path);
                unlinked.Position = 2;
                await pool.PutAsync("index/unlinked", unlinked, None);
                Assert.Equal(unlinked.Length, unlinked.Position);
            }

            Assert.All(_stores, s => Assert.Equal(content, s.Bytes("index/unlinked")));

            await pool.PutAsync("index/bb", new UnseekableStream(content), None);
            Assert.All(_stores, s => Assert.Equal(content, s.Bytes("index/bb")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Membership_is_validated_with_one_clear_line()
    {
        var store = new PlacementTestStore("x");
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => new PoolObjectStore("p", [new PoolMember("a", store)], 2));
        Assert.StartsWith("pool replication factor 2 must be between 1 and the member count 1", r.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<ArgumentException>(() => new PoolObjectStore("p", [new PoolMember("a", store), new PoolMember("a", store)], 1));
        Assert.StartsWith("pool member name 'a' is used twice", twice.Message, StringComparison.Ordinal);
        Assert.Equal(("p", "pool:p[m1,m2,m3,m4]"), (Pool().Description, Pool().Location));
    }

    internal static async Task<List<ObjectInfo>> ListAsync(IObjectStore store, string prefix)
    {
        var items = new List<ObjectInfo>();
        await foreach (var item in store.ListAsync(prefix, CancellationToken.None))
        {
            items.Add(item);
        }

        return items;
    }

    internal static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
