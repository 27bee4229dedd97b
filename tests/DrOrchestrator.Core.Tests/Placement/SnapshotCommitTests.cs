using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Placement;

/// <summary>
/// Issue 19, item 7: a snapshot object — a run's commit — is left on no target when the run failed
/// on the policy's terms (a pool: every member; a mirror of primaries: minPrimaries of them).
/// </summary>
public sealed class SnapshotCommitTests
{
    private const string SnapshotKey = "snapshots/0123456789abcdef";
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly InMemoryObjectStore[] _stores =
        [new() { Description = "mem:a" }, new() { Description = "mem:b" }, new() { Description = "mem:c" }];

    [Fact]
    public async Task A_snapshot_a_pool_member_refuses_is_withdrawn_from_the_members_that_took_it()
    {
        var refusing = new FaultInjectingObjectStore(_stores[1]);
        refusing.FailKey(SnapshotKey, transient: false);
        var pool = new PoolObjectStore("p", [new PoolMember("a", _stores[0]), new PoolMember("b", refusing), new PoolMember("c", _stores[2])], replicationFactor: 2);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => pool.PutAsync(SnapshotKey, new MemoryStream([1, 2, 3]), None));

        Assert.StartsWith($"p: {SnapshotKey}: put failed on 1 of 3 members: mem:b: ", error.Message, StringComparison.Ordinal);
        Assert.All(_stores, s => Assert.DoesNotContain(SnapshotKey, s.Keys));
    }

    [Fact]
    public async Task Other_metadata_a_pool_member_refuses_stays_where_it_was_written()
    {
        var refusing = new FaultInjectingObjectStore(_stores[1]);
        refusing.FailKey("index/ab", transient: false);
        var pool = new PoolObjectStore("p", [new PoolMember("a", _stores[0]), new PoolMember("b", refusing), new PoolMember("c", _stores[2])], replicationFactor: 2);

        await Assert.ThrowsAsync<ObjectStoreException>(() => pool.PutAsync("index/ab", new MemoryStream([1]), None));

        Assert.Equal([true, false, true], _stores.Select(s => s.Keys.Contains("index/ab")));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public async Task A_snapshot_below_min_primaries_is_withdrawn_and_one_meeting_it_stays(int minPrimaries, bool committed)
    {
        var refusing = new FaultInjectingObjectStore(_stores[1]);
        refusing.FailKey(SnapshotKey, transient: false);
        var mirror = new MirrorObjectStore([_stores[0], refusing], minPrimaries);

        var put = mirror.PutAsync(SnapshotKey, new MemoryStream([7]), None);

        if (committed)
        {
            await put;
        }
        else
        {
            var error = await Assert.ThrowsAsync<ObjectStoreException>(() => put);
            Assert.Contains("put reached 1 of the 2 members required", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(committed, _stores[0].Keys.Contains(SnapshotKey));
        Assert.DoesNotContain(SnapshotKey, _stores[1].Keys);
    }
}
