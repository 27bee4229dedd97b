namespace DrOrchestrator.Core.Placement;

/// <summary>A member of a <see cref="ConsistentHashRing{TMember}"/> with its weight and share of virtual nodes.</summary>
/// <param name="Member">The member itself.</param>
/// <param name="Name">The stable name its virtual nodes are hashed from.</param>
/// <param name="Weight">Relative capacity; a weight-2 member receives about twice the keys of a weight-1 member.</param>
/// <param name="VirtualNodes">How many points this member has on the ring.</param>
public sealed record RingMember<TMember>(TMember Member, string Name, double Weight, int VirtualNodes)
    where TMember : notnull;
