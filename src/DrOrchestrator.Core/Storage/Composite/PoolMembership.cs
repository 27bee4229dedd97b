using DrOrchestrator.Core.Placement;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// The members of a pool, their ring and the replication factor: everything needed to say where a
/// key lives. Immutable; a membership change is a new instance (keep the old one to rebalance).
/// </summary>
public sealed class PoolMembership
{
    private readonly Dictionary<string, PoolMember> _byName;

    /// <param name="members">At least one member; names must be unique (ordinal).</param>
    /// <param name="replicationFactor">Copies of each pack, on distinct members (1 ≤ R ≤ member count).</param>
    /// <param name="virtualNodesPerWeight">Virtual nodes per unit of weight; changing it moves packs.</param>
    public PoolMembership(IEnumerable<PoolMember> members, int replicationFactor, int virtualNodesPerWeight = ConsistentHashRing.DefaultVirtualNodesPerWeight)
    {
        ArgumentNullException.ThrowIfNull(members);
        Members = [.. members];
        _byName = new Dictionary<string, PoolMember>(StringComparer.Ordinal);
        var ring = ConsistentHashRing.ForNames(virtualNodesPerWeight);
        foreach (var member in Members)
        {
            ArgumentNullException.ThrowIfNull(member, nameof(members));
            if (string.IsNullOrWhiteSpace(member.Name) || member.Name.IndexOfAny([',', '[', ']']) >= 0)
            {
                throw new ArgumentException($"pool member name '{member.Name}' must be non-empty and contain no ',', '[' or ']'", nameof(members));
            }

            ArgumentNullException.ThrowIfNull(member.Store, nameof(members));
            if (!_byName.TryAdd(member.Name, member))
            {
                throw new ArgumentException($"pool member name '{member.Name}' is used twice", nameof(members));
            }

            ring = ring.With(member.Name, member.Weight);
        }

        if (Members.Count == 0)
        {
            throw new ArgumentException("a pool needs at least one member", nameof(members));
        }

        if (replicationFactor < 1 || replicationFactor > Members.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), replicationFactor,
                $"pool replication factor {replicationFactor} must be between 1 and the member count {Members.Count}");
        }

        ReplicationFactor = replicationFactor;
        Ring = ring;
    }

    /// <summary>The members in configuration order.</summary>
    public IReadOnlyList<PoolMember> Members { get; }

    public int ReplicationFactor { get; }

    /// <summary>The ring of member names.</summary>
    public ConsistentHashRing<string> Ring { get; }

    public PoolMember? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Members that must hold <paramref name="key"/>: the R ring owners (primary first) for a pack,
    /// every member for metadata.
    /// </summary>
    public IReadOnlyList<PoolMember> PlacementOf(string key) =>
        RepositoryKeys.IsPack(key)
            ? [.. Ring.GetMembers(key, ReplicationFactor).Select(name => _byName[name])]
            : Members;

    /// <summary>
    /// All members in the order to read <paramref name="key"/>: its placement first, then the rest
    /// (copies can sit off-placement until a rebalance finishes).
    /// </summary>
    public IReadOnlyList<PoolMember> ReadOrder(string key)
    {
        var placement = PlacementOf(key);
        return placement.Count == Members.Count ? placement : [.. placement, .. Members.Where(m => !placement.Contains(m))];
    }

    /// <summary>A membership with <paramref name="member"/> added (or replacing the member of the same name).</summary>
    public PoolMembership With(PoolMember member, int? replicationFactor = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        var members = Members.Where(m => m.Name != member.Name).Append(member);
        return new PoolMembership(members, replicationFactor ?? ReplicationFactor, Ring.VirtualNodesPerWeight);
    }

    /// <summary>A membership without the member called <paramref name="name"/>.</summary>
    public PoolMembership Without(string name, int? replicationFactor = null) =>
        new(Members.Where(m => m.Name != name), replicationFactor ?? ReplicationFactor, Ring.VirtualNodesPerWeight);
}
