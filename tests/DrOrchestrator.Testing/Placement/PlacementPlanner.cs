using DrOrchestrator.Core.Placement;

namespace DrOrchestrator.Testing;

/// <summary>
/// Compares where keys live under two rings after adding, removing or re-weighting members: the
/// moves a correct rebalance must make, computed from the ring alone. Tests hold the rebalancer's
/// report against it (an oracle independent of the rebalancer's own walk).
/// </summary>
public static class PlacementPlanner
{
    /// <summary>
    /// For each key whose set of <paramref name="replicationFactor"/> owners differs between
    /// <paramref name="oldRing"/> and <paramref name="newRing"/>, which members gain a copy and
    /// which lose one. Keys placed identically are counted but not listed. A change of order only
    /// (same members, different primary) is not a move: every copy is equal.
    /// </summary>
    public static PlacementPlan<TMember> Diff<TMember>(
        ConsistentHashRing<TMember> oldRing, ConsistentHashRing<TMember> newRing, IEnumerable<string> keys, int replicationFactor)
        where TMember : notnull
    {
        ArgumentNullException.ThrowIfNull(oldRing);
        ArgumentNullException.ThrowIfNull(newRing);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);

        var changes = new List<KeyPlacementChange<TMember>>();
        var examined = 0;
        foreach (var key in keys)
        {
            examined++;
            var before = oldRing.Count == 0 ? [] : oldRing.GetMembers(key, replicationFactor);
            var after = newRing.Count == 0 ? [] : newRing.GetMembers(key, replicationFactor);
            var added = after.Where(m => !before.Contains(m)).ToArray();
            var removed = before.Where(m => !after.Contains(m)).ToArray();
            if (added.Length > 0 || removed.Length > 0)
            {
                changes.Add(new KeyPlacementChange<TMember>(key, before, after, added, removed));
            }
        }

        return new PlacementPlan<TMember>(examined, changes);
    }
}

/// <summary>The placement of one key before and after a membership change.</summary>
/// <param name="Key">The object key.</param>
/// <param name="Before">Owners under the old ring, primary first.</param>
/// <param name="After">Owners under the new ring, primary first.</param>
/// <param name="Added">Members that must receive a copy.</param>
/// <param name="Removed">Members whose copy is no longer placed there.</param>
public sealed record KeyPlacementChange<TMember>(
    string Key,
    IReadOnlyList<TMember> Before,
    IReadOnlyList<TMember> After,
    IReadOnlyList<TMember> Added,
    IReadOnlyList<TMember> Removed)
    where TMember : notnull
{
    /// <summary>
    /// The copy moves as (from, to) pairs: the i-th removed member hands over to the i-th added
    /// member. When the counts differ (the replication factor or member count changed) the extra
    /// side is paired with null — a pure copy (From null) or a pure removal (To null).
    /// </summary>
    public IEnumerable<PlacementMove<TMember>> Moves()
    {
        for (var i = 0; i < Math.Max(Added.Count, Removed.Count); i++)
        {
            yield return new PlacementMove<TMember>(
                Key,
                i < Removed.Count ? Removed[i] : default,
                i < Added.Count ? Added[i] : default);
        }
    }
}

/// <summary>One copy of <paramref name="Key"/> moving from one member to another (either side may be absent).</summary>
public readonly record struct PlacementMove<TMember>(string Key, TMember? From, TMember? To);

/// <summary>The result of <see cref="PlacementPlanner.Diff"/>.</summary>
/// <param name="KeysExamined">How many keys were compared.</param>
/// <param name="Changes">Only the keys whose owner set changed.</param>
public sealed record PlacementPlan<TMember>(int KeysExamined, IReadOnlyList<KeyPlacementChange<TMember>> Changes)
    where TMember : notnull
{
    /// <summary>Number of keys with at least one copy to add or remove.</summary>
    public int KeysMoved => Changes.Count;

    /// <summary>Copies to create on members that gain a key.</summary>
    public int CopiesAdded => Changes.Sum(c => c.Added.Count);

    /// <summary>Copies that become surplus on members that lose a key.</summary>
    public int CopiesRemoved => Changes.Sum(c => c.Removed.Count);

    /// <summary>Every (key, from, to) move of the plan.</summary>
    public IEnumerable<PlacementMove<TMember>> Moves => Changes.SelectMany(c => c.Moves());
}
