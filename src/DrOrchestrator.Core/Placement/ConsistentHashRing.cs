using System.Collections.Immutable;
using System.Globalization;

namespace DrOrchestrator.Core.Placement;

/// <summary>Factory helpers and defaults for <see cref="ConsistentHashRing{TMember}"/>.</summary>
public static class ConsistentHashRing
{
    /// <summary>
    /// Virtual nodes per unit of weight. A member's share deviates from its ideal by about
    /// 1/√V: 256 gives ≈ 6%, and fewer nodes left the busiest member of random rings visibly
    /// fuller (docs/decisions.md §23; the table in Placement/README.md). A 32-member
    /// ring is still only ~8,000 points (≈ 100 KiB) and a lookup is one binary search.
    /// Changing this value moves most packs: it is part of a pool's persistent configuration.
    /// </summary>
    public const int DefaultVirtualNodesPerWeight = 256;

    /// <summary>An empty ring whose members are identified by their own (stable) names.</summary>
    public static ConsistentHashRing<string> ForNames(int virtualNodesPerWeight = DefaultVirtualNodesPerWeight) =>
        new(static name => name, virtualNodesPerWeight);
}

/// <summary>
/// An immutable consistent-hash ring: members own weighted sets of virtual nodes on a 64-bit
/// circle; a key is hashed onto the circle and owned by the next virtual nodes clockwise.
/// See Placement/README.md for why and what moves when membership changes.
/// </summary>
/// <remarks>
/// Positions are <see cref="XxHash64"/> of UTF-8 strings: a key is hashed as-is, virtual node
/// <c>i</c> of a member named <c>n</c> as <c>"n#i"</c>. Members are identified by their name
/// (ordinal comparison), which must therefore be stable across runs — a renamed member is a new
/// member. Thread-safe: nothing is ever mutated after construction.
/// </remarks>
public sealed class ConsistentHashRing<TMember>
    where TMember : notnull
{
    private readonly Func<TMember, string> _nameOf;
    private readonly ImmutableSortedDictionary<string, RingMember<TMember>> _members;
    private readonly ulong[] _positions;
    private readonly int[] _owners;
    private readonly RingMember<TMember>[] _ownerTable;

    /// <summary>An empty ring.</summary>
    /// <param name="nameOf">Stable, unique name of a member; its virtual nodes are derived from it.</param>
    /// <param name="virtualNodesPerWeight">Virtual nodes for a member of weight 1.</param>
    public ConsistentHashRing(Func<TMember, string> nameOf, int virtualNodesPerWeight = ConsistentHashRing.DefaultVirtualNodesPerWeight)
        : this(nameOf, virtualNodesPerWeight, ImmutableSortedDictionary.Create<string, RingMember<TMember>>(StringComparer.Ordinal))
    {
        ArgumentNullException.ThrowIfNull(nameOf);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodesPerWeight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(virtualNodesPerWeight, 10_000);
    }

    private ConsistentHashRing(Func<TMember, string> nameOf, int virtualNodesPerWeight, ImmutableSortedDictionary<string, RingMember<TMember>> members)
    {
        _nameOf = nameOf;
        VirtualNodesPerWeight = virtualNodesPerWeight;
        _members = members;
        (_positions, _owners, _ownerTable) = Build(members);
    }

    public int VirtualNodesPerWeight { get; }

    /// <summary>The members ordered by name (ordinal).</summary>
    public IReadOnlyList<RingMember<TMember>> Members => _ownerTable;

    public int Count => _ownerTable.Length;

    /// <summary>Total number of virtual nodes on the ring.</summary>
    public int VirtualNodeCount => _positions.Length;

    public bool Contains(TMember member) => _members.ContainsKey(NameOf(member));

    /// <summary>
    /// A ring with <paramref name="member"/> added, or with its weight replaced when a member of
    /// the same name is already present.
    /// </summary>
    public ConsistentHashRing<TMember> With(TMember member, double weight = 1)
    {
        var name = NameOf(member);
        if (!double.IsFinite(weight) || weight <= 0 || weight > 1_000)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"ring member '{name}': weight must be > 0 and ≤ 1000");
        }

        var virtualNodes = (int)Math.Max(1, Math.Round(weight * VirtualNodesPerWeight, MidpointRounding.AwayFromZero));
        var entry = new RingMember<TMember>(member, name, weight, virtualNodes);
        return new ConsistentHashRing<TMember>(_nameOf, VirtualNodesPerWeight, _members.SetItem(name, entry));
    }

    /// <summary>A ring without <paramref name="member"/> (unchanged when it is not a member).</summary>
    public ConsistentHashRing<TMember> Without(TMember member)
    {
        var name = NameOf(member);
        return _members.ContainsKey(name)
            ? new ConsistentHashRing<TMember>(_nameOf, VirtualNodesPerWeight, _members.Remove(name))
            : this;
    }

    /// <summary>The member owning <paramref name="key"/> (the first of <see cref="GetMembers"/>).</summary>
    /// <exception cref="InvalidOperationException">The ring is empty.</exception>
    public TMember GetPrimary(string key) => GetMembers(key, 1)[0];

    /// <summary>
    /// The <paramref name="count"/> distinct members for <paramref name="key"/>, walking clockwise
    /// from the key's position; fewer when the ring has fewer members. The order is meaningful:
    /// the first is the primary owner, later ones are the next replicas.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring is empty.</exception>
    public IReadOnlyList<TMember> GetMembers(string key, int count)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (_positions.Length == 0)
        {
            throw new InvalidOperationException($"cannot place '{key}': the ring has no members");
        }

        var wanted = Math.Min(count, _ownerTable.Length);
        var result = new List<TMember>(wanted);
        var taken = _ownerTable.Length <= 256 ? stackalloc bool[_ownerTable.Length] : new bool[_ownerTable.Length];
        var index = FirstAtOrAfter(XxHash64.HashUtf8(key));
        for (var step = 0; step < _positions.Length && result.Count < wanted; step++)
        {
            var owner = _owners[(index + step) % _positions.Length];
            if (!taken[owner])
            {
                taken[owner] = true;
                result.Add(_ownerTable[owner].Member);
            }
        }

        return result;
    }

    public override string ToString() =>
        string.Join(',', _ownerTable.Select(m => m.Name + "×" + m.Weight.ToString(CultureInfo.InvariantCulture)));

    private string NameOf(TMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        var name = _nameOf(member);
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("a ring member needs a non-empty name", nameof(member));
        }

        return name;
    }

    private int FirstAtOrAfter(ulong hash)
    {
        var index = Array.BinarySearch(_positions, hash);
        if (index < 0)
        {
            index = ~index;
        }

        // Equal positions sit next to each other; a key landing on one belongs to the first.
        while (index > 0 && _positions[index - 1] == hash)
        {
            index--;
        }

        return index == _positions.Length ? 0 : index;
    }

    private static (ulong[] Positions, int[] Owners, RingMember<TMember>[] Table) Build(
        ImmutableSortedDictionary<string, RingMember<TMember>> members)
    {
        var table = members.Values.ToArray();
        var points = new List<(ulong Position, int Owner)>(table.Sum(m => m.VirtualNodes));
        for (var owner = 0; owner < table.Length; owner++)
        {
            for (var i = 0; i < table[owner].VirtualNodes; i++)
            {
                points.Add((XxHash64.HashUtf8(string.Create(CultureInfo.InvariantCulture, $"{table[owner].Name}#{i}")), owner));
            }
        }

        // Ties (astronomically rare) are broken by member name so every process agrees.
        points.Sort(static (a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position) : a.Owner.CompareTo(b.Owner));
        return (points.Select(p => p.Position).ToArray(), points.Select(p => p.Owner).ToArray(), table);
    }
}
