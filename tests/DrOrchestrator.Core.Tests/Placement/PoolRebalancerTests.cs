using DrOrchestrator.Core.Placement;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Testing;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class PoolRebalancerTests
{
    private const int PackSize = 1024;
    private static readonly CancellationToken None = CancellationToken.None;

    private static PoolMember Member(string name, double weight = 1) => new(name, new PlacementTestStore(name), weight);

    private static PlacementTestStore Store(PoolMember member) => (PlacementTestStore)member.Store;

    private static async Task<List<(string Key, byte[] Content)>> FillAsync(PoolObjectStore pool, int packs)
    {
        var written = Enumerable.Range(0, packs).Select(_ => PlacementTestStore.NewPack(PackSize)).ToList();
        foreach (var (key, content) in written)
        {
            await pool.PutAsync(key, new MemoryStream(content), None);
        }

        await pool.PutAsync("config", new MemoryStream([1]), None);
        await pool.PutAsync("index/00aa", new MemoryStream([2, 2]), None);
        await pool.PutAsync("snapshots/00bb", new MemoryStream([3, 3, 3]), None);
        return written;
    }

    [Fact]
    public async Task Adding_a_member_copies_only_the_packs_the_planner_moves_and_removes_their_old_copies()
    {
        var oldMembership = new PoolMembership([Member("m1"), Member("m2"), Member("m3"), Member("m4")], replicationFactor: 2);
        var packs = await FillAsync(new PoolObjectStore("p", oldMembership), 400);
        var newMembership = oldMembership.With(Member("m5"));
        var pool = new PoolObjectStore("p", newMembership);
        var plan = PlacementPlanner.Diff(oldMembership.Ring, newMembership.Ring, packs.Select(p => p.Key), 2);

        var report = await new PoolRebalancer().RebalanceAsync(pool, oldMembership, None);

        Assert.Empty(report.Errors);
        Assert.Equal(400, report.PacksExamined);
        Assert.Equal(plan.KeysMoved, report.PacksMoved);
        Assert.Equal(
            plan.Changes.SelectMany(c => c.Added.Select(to => (c.Key, to))).Order(),
            report.Copies.Select(c => (c.Key, c.To)).Order());
        Assert.Equal(
            plan.Changes.SelectMany(c => c.Removed.Select(from => (c.Key, from))).Order(),
            report.Removals.Select(r => (r.Key, r.Member)).Order());
        Assert.All(report.Copies, c => Assert.Equal("m5", c.To));
        Assert.Equal(report.CopiesMade * (long)PackSize, report.BytesCopied);
        Assert.Equal(3, report.MetadataCopied);

        // Every pack is now exactly on its placement, byte for byte; the new member has all metadata.
        foreach (var (key, content) in packs)
        {
            var placement = newMembership.PlacementOf(key).Select(m => m.Name).Order();
            Assert.Equal(placement, newMembership.Members.Where(m => Store(m).Contains(key)).Select(m => m.Name).Order());
            Assert.All(newMembership.PlacementOf(key), m => Assert.Equal(content, Store(m).Bytes(key)));
        }

        var fifth = Store(newMembership.Find("m5")!);
        Assert.Equal([3, 3, 3], fifth.Bytes("snapshots/00bb"));
        Assert.True(fifth.Contains("config") && fifth.Contains("index/00aa"));

        var again = await new PoolRebalancer().RebalanceAsync(pool, newMembership, None);
        Assert.Equal((0, 0, 0), (again.CopiesMade, again.CopiesDeleted, again.MetadataCopied));
    }

    [Fact]
    public async Task A_corrupt_holder_is_reported_repaired_and_the_pack_is_copied_from_a_good_one()
    {
        var oldMembership = new PoolMembership([Member("m1"), Member("m2"), Member("m3")], replicationFactor: 2);
        var packs = await FillAsync(new PoolObjectStore("p", oldMembership), 60);
        var newMembership = oldMembership.With(Member("m4"));
        // A pack moving to m4 whose first holder (in member order, the order sources are read)
        // keeps its copy: that copy is corrupt, the other holder's is good.
        var (key, content) = packs.First(p =>
            newMembership.PlacementOf(p.Key).Any(m => m.Name == "m4")
            && newMembership.PlacementOf(p.Key).Contains(oldMembership.PlacementOf(p.Key).MinBy(m => m.Name)));
        var stays = oldMembership.PlacementOf(key).MinBy(m => m.Name)!;
        var leaves = oldMembership.PlacementOf(key).MaxBy(m => m.Name)!;
        Store(stays).Corrupt(key);

        var report = await new PoolRebalancer().RebalanceAsync(new PoolObjectStore("p", newMembership), oldMembership, None);

        Assert.Contains(report.Errors, e => e.StartsWith($"mem:{stays.Name}: {key}: SHA-256 mismatch", StringComparison.Ordinal));
        Assert.Contains(new PackCopy(key, leaves.Name, "m4", PackSize), report.Copies);
        Assert.Contains(new PackCopy(key, leaves.Name, stays.Name, PackSize), report.Copies);
        Assert.Equal(content, Store(newMembership.Find("m4")!).Bytes(key));
        Assert.Equal(content, Store(stays).Bytes(key));
        Assert.False(Store(leaves).Contains(key));
    }

    [Fact]
    public async Task Removing_a_member_copies_its_packs_to_their_new_owners_and_leaves_it_untouched()
    {
        var oldMembership = new PoolMembership([Member("m1"), Member("m2"), Member("m3"), Member("m4")], replicationFactor: 1);
        var packs = await FillAsync(new PoolObjectStore("p", oldMembership), 200);
        var leaving = Store(oldMembership.Find("m3")!);
        var held = leaving.Keys.Count(k => k.StartsWith("data/", StringComparison.Ordinal));
        var newMembership = oldMembership.Without("m3");

        var report = await new PoolRebalancer().RebalanceAsync(new PoolObjectStore("p", newMembership), oldMembership, None);

        Assert.Empty(report.Errors);
        Assert.Equal(held, report.CopiesMade);
        Assert.All(report.Copies, c => Assert.Equal("m3", c.From));
        Assert.Empty(report.Removals);
        Assert.Equal(0, leaving.DeleteCount);
        foreach (var (key, content) in packs)
        {
            Assert.Equal(content, Store(newMembership.PlacementOf(key)[0]).Bytes(key));
        }
    }

    [Fact]
    public async Task A_member_that_cannot_be_listed_is_reported_and_no_copy_it_might_need_is_deleted()
    {
        var oldMembership = new PoolMembership([Member("m1"), Member("m2"), Member("m3")], replicationFactor: 1);
        await FillAsync(new PoolObjectStore("p", oldMembership), 100);
        var newMembership = oldMembership.With(Member("m4"));
        Store(newMembership.Find("m4")!).IsDown = true;

        var report = await new PoolRebalancer().RebalanceAsync(new PoolObjectStore("p", newMembership), oldMembership, None);

        Assert.Equal(["mem:m4: simulated outage"], report.Errors);
        Assert.Empty(report.Copies);
        Assert.Empty(report.Removals);
        Assert.False(report.Succeeded);
    }
}
