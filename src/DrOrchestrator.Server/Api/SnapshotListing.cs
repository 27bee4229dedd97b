using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Server.Api;

public sealed record SnapshotPresenceDto(string Name, string Status, DateTimeOffset? CompleteAt, DateTimeOffset? LastVerifiedAt);

public sealed record SnapshotDto(
    string Id, string? Policy, DateTimeOffset Time, DateTimeOffset RecoveryPoint, string Hostname,
    long Files, long TotalBytes, long BytesNew, long BytesStored, IReadOnlyList<SnapshotPresenceDto> Targets);

/// <summary>
/// Listing snapshots is still a CLI-only use case (SnapshotsCommand): this adapter does what it
/// does — the catalog's list with presence per target, or a target's own repository — and is
/// the one place to switch to the Orchestration snapshot service once it exists. Same fields as
/// `drorch snapshots --json`.
/// </summary>
public sealed class SnapshotListing(CatalogStore catalog, RepositoryAccess repositories)
{
    public async Task<IReadOnlyList<SnapshotDto>> FromCatalogAsync(string? policy, CancellationToken cancellationToken)
    {
        var snapshots = await catalog.ListSnapshotsAsync(policy, cancellationToken).ConfigureAwait(false);
        return [.. snapshots
            .OrderBy(s => s.Figures.RecoveryPoint)
            .Select(s => new SnapshotDto(
                s.Figures.SnapshotId, s.PolicyName, s.Figures.Time.ToUniversalTime(), s.Figures.RecoveryPoint.ToUniversalTime(), s.Figures.Hostname,
                s.Figures.FileCount, s.Figures.TotalBytes, s.Figures.BytesNew, s.Figures.BytesStored,
                [.. s.Presence.OrderBy(p => p.TargetName, StringComparer.Ordinal).Select(p => new SnapshotPresenceDto(
                    p.TargetName, p.Status.ToString().ToLowerInvariant(), p.CompleteAt?.ToUniversalTime(), p.LastVerifiedAt?.ToUniversalTime()))]))];
    }

    public async Task<IReadOnlyList<SnapshotDto>> FromTargetAsync(string target, string? policy, CancellationToken cancellationToken)
    {
        await using var repository = await repositories.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var snapshots = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        return [.. snapshots
            .Where(s => policy is null || s.PolicyName == policy)
            .OrderBy(s => s.RecoveryPoint)
            .Select(s => new SnapshotDto(
                s.Id, s.PolicyName, s.Time.ToUniversalTime(), s.RecoveryPoint.ToUniversalTime(), s.Hostname,
                s.Summary.TotalFiles, s.Summary.TotalBytes, s.Summary.BytesNew, s.Summary.BytesStored,
                [new SnapshotPresenceDto(target, "present", s.Time.ToUniversalTime() + s.Summary.Duration, null)]))];
    }
}
