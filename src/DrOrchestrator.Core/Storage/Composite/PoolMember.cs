namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>One member of a pool: a named store and its relative capacity.</summary>
/// <param name="Name">
/// Stable name of the member (e.g. "aws-eu", "azure-we"). Placement is derived from it: renaming a
/// member moves its packs as if it were removed and a new one added.
/// </param>
/// <param name="Store">Where this member's objects live.</param>
/// <param name="Weight">Relative share of packs (a weight-2 member gets about twice a weight-1 member's share).</param>
public sealed record PoolMember(string Name, IObjectStore Store, double Weight = 1);
