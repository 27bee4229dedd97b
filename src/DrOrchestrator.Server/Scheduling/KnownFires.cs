using System.Collections.Concurrent;
using DrOrchestrator.Catalog;

namespace DrOrchestrator.Server.Scheduling;

/// <summary>
/// The newest due instant per (policy, kind) that this node knows has a row in the catalog —
/// every claim it made, won or lost (a lost claim means the row exists). A fire row is deleted
/// only when a newer one of its trigger exists (decisions §75), so this is a lower bound of the
/// catalog's last fire: when the schedule has no due
/// time after it, it has none after the catalog's either, and <see cref="FireCatchUp"/> can skip
/// its query for that policy. Without it the catch-up read the last fire of every policy every
/// <c>Server:RpoCheckSeconds</c> — 1,000 queries a minute for 1,000 policies however seldom
/// they fire (decisions §72).
/// </summary>
public sealed class KnownFires
{
    private readonly ConcurrentDictionary<(string Policy, RunKind Kind), DateTimeOffset> _last = new();

    /// <summary>Records that the catalog holds a row for this fire.</summary>
    public void Saw(string policy, RunKind kind, DateTimeOffset scheduledAt) =>
        _last.AddOrUpdate((policy, kind), scheduledAt, (_, known) => known >= scheduledAt ? known : scheduledAt);

    /// <summary>The newest fire known to be in the catalog, or null.</summary>
    public DateTimeOffset? Last(string policy, RunKind kind) =>
        _last.TryGetValue((policy, kind), out var last) ? last : null;
}
