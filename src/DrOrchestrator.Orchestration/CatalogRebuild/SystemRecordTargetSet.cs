using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// The targets one system record is written to (docs/decisions.md §61): the primaries of one or
/// more policies (written once, through a mirror when there are several) and the replicas of
/// those policies (filled by a copy from a primary afterwards). Policies with the same primaries
/// share one set, so a target receives one record per round however many policies name it.
/// </summary>
public sealed record SystemRecordTargetSet(IReadOnlyList<string> Primaries, IReadOnlyList<string> Replicas)
{
    /// <summary>Primaries then replicas.</summary>
    public IEnumerable<string> All => Primaries.Concat(Replicas);

    /// <summary>
    /// The sets of <paramref name="policies"/> touching <paramref name="only"/> (null: all of them),
    /// in an order where a set that copies into another set's primary comes before it — so when a
    /// target is a replica of one policy and the primary of another, the record it received as a
    /// replica is already there when its own replicas are filled from it. A target of
    /// <paramref name="only"/> that no policy names is a set of its own.
    /// </summary>
    public static IReadOnlyList<SystemRecordTargetSet> From(IEnumerable<Policy> policies, IReadOnlyCollection<string>? only)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var byPrimaries = new Dictionary<string, (List<string> Primaries, List<string> Replicas)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var policy in policies)
        {
            var primaries = policy.Primaries.Select(t => t.Name).ToList();
            var key = string.Join('\n', primaries.Order(StringComparer.Ordinal));
            if (!byPrimaries.TryGetValue(key, out var set))
            {
                set = (primaries, []);
                byPrimaries[key] = set;
                order.Add(key);
            }

            set.Replicas.AddRange(policy.Replicas.Select(r => r.Name).Where(r => !set.Primaries.Contains(r) && !set.Replicas.Contains(r)));
        }

        var sets = order.Select(k => new SystemRecordTargetSet(byPrimaries[k].Primaries, byPrimaries[k].Replicas)).ToList();
        if (only is not null)
        {
            var wanted = only.ToHashSet(StringComparer.Ordinal);
            var covered = sets.SelectMany(s => s.All).ToHashSet(StringComparer.Ordinal);
            sets = [.. sets.Where(s => s.All.Any(wanted.Contains)),
                .. only.Distinct(StringComparer.Ordinal).Where(t => !covered.Contains(t)).Select(t => new SystemRecordTargetSet([t], []))];
        }

        return FeedersFirst(sets);
    }

    /// <summary>
    /// Kahn's order over "set A copies into a primary of set B" (A before B); sets caught in a
    /// cycle (each a replica of the other's primary) keep their policy order.
    /// </summary>
    private static List<SystemRecordTargetSet> FeedersFirst(List<SystemRecordTargetSet> sets)
    {
        var ordered = new List<SystemRecordTargetSet>(sets.Count);
        var left = new List<SystemRecordTargetSet>(sets);
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(b => !left.Any(a => !ReferenceEquals(a, b) && a.Replicas.Any(b.Primaries.Contains))) ?? left[0];
            ordered.Add(next);
            left.Remove(next);
        }

        return ordered;
    }
}
