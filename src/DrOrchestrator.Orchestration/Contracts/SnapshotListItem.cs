using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>Where a snapshot is: "present", "missing", … per target, and since when it is complete there.</summary>
public sealed record TargetPresenceInfo(string Name, string Status, DateTimeOffset? CompleteAt, DateTimeOffset? LastVerifiedAt);

/// <summary>One row of `snapshots`: a snapshot's figures and its presence per target.</summary>
public sealed record SnapshotListItem(
    string Id, string? Policy, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname,
    long Files, long TotalBytes, long BytesNew, long BytesStored, IReadOnlyList<TargetPresenceInfo> Targets)
{
    internal static SnapshotListItem FromCatalog(CatalogSnapshot s) => new(
        s.Figures.SnapshotId, s.PolicyName, s.Figures.Time.ToUniversalTime(), s.Figures.RecoveryPoint.ToUniversalTime(), s.Figures.Hostname,
        s.Figures.FileCount, s.Figures.TotalBytes, s.Figures.BytesNew, s.Figures.BytesStored,
        [.. s.Presence.OrderBy(p => p.TargetName, StringComparer.Ordinal).Select(p => new TargetPresenceInfo(
            p.TargetName, p.Status.ToString().ToLowerInvariant(), p.CompleteAt?.ToUniversalTime(), p.LastVerifiedAt?.ToUniversalTime()))]);

    /// <summary>A snapshot read from a target's repository: present there since its backup finished.</summary>
    internal static SnapshotListItem FromRepository(Snapshot s, string target) => new(
        s.Id, s.PolicyName, s.Time.ToUniversalTime(), s.RecoveryPoint.ToUniversalTime(), s.Hostname,
        s.Summary.TotalFiles, s.Summary.TotalBytes, s.Summary.BytesNew, s.Summary.BytesStored,
        [new TargetPresenceInfo(target, "present", s.Time.ToUniversalTime() + s.Summary.Duration, null)]);
}
