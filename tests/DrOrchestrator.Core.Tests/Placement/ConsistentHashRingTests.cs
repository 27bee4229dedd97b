using DrOrchestrator.Core.Placement;
using DrOrchestrator.Testing;
using Xunit.Abstractions;

namespace DrOrchestrator.Core.Tests.Placement;

public sealed class ConsistentHashRingTests(ITestOutputHelper output)
{
    private static readonly IReadOnlyList<string> Keys = PlacementTestStore.PackKeys(10_000);

    private static ConsistentHashRing<string> Ring(params string[] names) =>
        names.Aggregate(ConsistentHashRing.ForNames(), (ring, name) => ring.With(name));

    [Fact]
    public void Four_equal_members_share_ten_thousand_packs_within_15_percent_of_the_mean()
    {
        var ring = Ring("m1", "m2", "m3", "m4");
        var counts = Count(ring, Keys, 1);
        var mean = Keys.Count / 4.0;
        var busiest = counts.Values.Max();
        output.WriteLine($"R=1 counts: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}; busiest/mean = {busiest / mean:F3}");
        Assert.Equal(4, counts.Count);
        Assert.True(busiest <= 1.15 * mean, $"busiest member holds {busiest}, mean {mean}");

        var copies = Count(ring, Keys, 2);
        var busiestCopies = copies.Values.Max();
        output.WriteLine($"R=2 copies: {string.Join(", ", copies.Select(c => $"{c.Key}={c.Value}"))}; busiest/mean = {busiestCopies / (Keys.Count * 2 / 4.0):F3}");
        Assert.True(busiestCopies <= 1.15 * (Keys.Count * 2 / 4.0), $"busiest member holds {busiestCopies} copies");
    }

    [Fact]
    public void Adding_a_fifth_member_moves_about_a_fifth_of_the_packs_and_only_to_the_new_member()
    {
        var before = Ring("m1", "m2", "m3", "m4");
        var after = before.With("m5");

        var moved = Keys.Where(k => before.GetPrimary(k) != after.GetPrimary(k)).ToList();
        var fraction = moved.Count / (double)Keys.Count;
        output.WriteLine($"R=1: {moved.Count} of {Keys.Count} packs moved ({fraction:P2})");
        Assert.InRange(fraction, 0.15, 0.25);
        Assert.All(moved, k => Assert.Equal("m5", after.GetPrimary(k)));

        var plan = PlacementPlanner.Diff(before, after, Keys, replicationFactor: 2);
        var copyFraction = plan.CopiesAdded / (Keys.Count * 2.0);
        output.WriteLine($"R=2: {plan.KeysMoved} packs changed placement, {plan.CopiesAdded} of {Keys.Count * 2} copies move ({copyFraction:P2})");
        Assert.InRange(copyFraction, 0.15, 0.25);
        Assert.All(plan.Changes, c => Assert.Equal(["m5"], c.Added));
        Assert.All(plan.Moves, m => Assert.Equal("m5", m.To));
        Assert.Equal(plan.CopiesAdded, plan.CopiesRemoved);
    }

    [Fact]
    public void Raising_a_weight_moves_packs_only_onto_that_member()
    {
        var before = Ring("m1", "m2", "m3", "m4");
        var after = before.With("m2", 1.5);
        var plan = PlacementPlanner.Diff(before, after, Keys, replicationFactor: 2);
        output.WriteLine($"m2 weight 1 → 1.5: {plan.CopiesAdded} of {Keys.Count * 2} copies move");
        Assert.NotEmpty(plan.Changes);
        Assert.All(plan.Changes, c => Assert.Equal(["m2"], c.Added));
    }

    [Fact]
    public void Replication_factor_two_never_places_both_copies_on_one_member()
    {
        var ring = Ring("m1", "m2", "m3", "m4");
        foreach (var key in Keys)
        {
            var owners = ring.GetMembers(key, 2);
            Assert.Equal(2, owners.Count);
            Assert.NotEqual(owners[0], owners[1]);
        }
    }

    [Fact]
    public void A_weight_two_member_receives_about_twice_the_packs()
    {
        var ring = Ring("m1", "m2", "m3").With("big", 2);
        var counts = Count(ring, Keys, 1);
        var ratio = counts["big"] / ((counts["m1"] + counts["m2"] + counts["m3"]) / 3.0);
        output.WriteLine($"weights 1,1,1,2: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}; big/mean(weight 1) = {ratio:F3}");
        Assert.InRange(ratio, 2 * 0.85, 2 * 1.15);
        Assert.Equal(512, ring.Members.Single(m => m.Name == "big").VirtualNodes);
    }

    [Fact]
    public void Placement_is_the_same_for_independently_built_rings_and_pinned_across_versions()
    {
        var one = Ring("m1", "m2", "m3", "m4");
        var other = Ring("m4", "m2", "m1", "m3", "gone").Without("gone");
        Assert.All(Keys, k => Assert.Equal(one.GetMembers(k, 3), other.GetMembers(k, 3)));

        // Golden values: if these change, every existing pool would reshuffle on upgrade.
        Assert.Equal(["m2", "m1", "m4"], one.GetMembers(Keys[0], 3));
        Assert.Equal(["m2", "m3", "m1"], one.GetMembers("data/ab/" + new string('c', 64), 3));
    }

    [Fact]
    public void Rings_are_immutable_values()
    {
        var ring = Ring("m1", "m2");
        var bigger = ring.With("m3");
        var reweighted = ring.With("m1", 3);
        var smaller = ring.Without("m2");

        Assert.Equal(["m1", "m2"], ring.Members.Select(m => m.Name));
        Assert.Equal(512, ring.VirtualNodeCount);
        Assert.Equal(3, bigger.Count);
        Assert.Equal(3.0, reweighted.Members.Single(m => m.Name == "m1").Weight);
        Assert.Equal(1.0, ring.Members.Single(m => m.Name == "m1").Weight);
        Assert.Equal(["m1"], smaller.Members.Select(m => m.Name));
        Assert.Same(ring, ring.Without("absent"));
    }

    [Fact]
    public void Asking_for_more_copies_than_members_returns_every_member_once()
    {
        var ring = Ring("m1", "m2");
        var owners = ring.GetMembers("config", 5);
        Assert.Equal(2, owners.Count);
        Assert.Equal(["m1", "m2"], owners.Order());
    }

    [Fact]
    public void An_empty_ring_cannot_place_and_bad_weights_are_rejected()
    {
        var empty = ConsistentHashRing.ForNames();
        var error = Assert.Throws<InvalidOperationException>(() => empty.GetPrimary("config"));
        Assert.Equal("cannot place 'config': the ring has no members", error.Message);

        var weight = Assert.Throws<ArgumentOutOfRangeException>(() => empty.With("m1", 0));
        Assert.StartsWith("ring member 'm1': weight must be > 0 and ≤ 1000", weight.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generic_members_are_placed_by_their_stable_name()
    {
        var byName = Ring("alpha", "beta", "gamma");
        var byRecord = new ConsistentHashRing<Target>(t => t.Name)
            .With(new Target("alpha", 1)).With(new Target("beta", 2)).With(new Target("gamma", 3));
        Assert.All(Keys.Take(500), k => Assert.Equal(byName.GetMembers(k, 2), byRecord.GetMembers(k, 2).Select(t => t.Name)));
    }

    [Fact]
    public void Planner_lists_only_changed_keys_with_members_gained_and_lost()
    {
        var before = Ring("m1", "m2", "m3");
        var after = before.Without("m2");
        var plan = PlacementPlanner.Diff(before, after, Keys.Take(1000), replicationFactor: 1);

        Assert.Equal(1000, plan.KeysExamined);
        Assert.Equal(Keys.Take(1000).Count(k => before.GetPrimary(k) == "m2"), plan.KeysMoved);
        Assert.All(plan.Changes, c =>
        {
            Assert.Equal(["m2"], c.Removed);
            Assert.Equal([after.GetPrimary(c.Key)], c.Added);
        });
    }

    private static Dictionary<string, int> Count(ConsistentHashRing<string> ring, IEnumerable<string> keys, int replicas) =>
        keys.SelectMany(k => ring.GetMembers(k, replicas)).GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());

    private sealed record Target(string Name, int Id);
}
