using DrOrchestrator.Catalog.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Catalog;

/// <summary>
/// The catalog's query/command API for the CLI and server, so neither holds EF code. Each
/// call uses its own short-lived context (safe to share one instance across threads).
/// Times are stored in UTC at microsecond precision on both providers; values read back are
/// UTC. Names of policies and targets that are not in the catalog raise
/// <see cref="CatalogException"/> — targets must be registered with
/// <see cref="UpsertTargetAsync"/> (at start-up, from configuration) before snapshots name them.
/// </summary>
public sealed partial class CatalogStore(IDbContextFactory<CatalogDbContext> factory, TimeProvider time, ILogger<CatalogStore> logger)
{
    private readonly RunHeartbeats _heartbeats = new(time, logger);

    private DateTimeOffset Now => Normalize(time.GetUtcNow());

    /// <summary>UTC, truncated to microseconds: what both providers store, so what callers get back equals what they wrote.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset value)
    {
        long ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero);
    }

    private static DateTimeOffset? Normalize(DateTimeOffset? value) => value is null ? null : Normalize(value.Value);

    private async Task<CatalogDbContext> OpenAsync(CancellationToken cancellationToken) =>
        await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);

    private static async Task<PolicyEntity> RequirePolicyAsync(CatalogDbContext db, string name, CancellationToken cancellationToken) =>
        await db.Policies.SingleOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false)
        ?? throw new CatalogException($"policy '{name}' is not in the catalog (run 'drorch policy apply' first)");

    private static async Task<TargetEntity> RequireTargetAsync(CatalogDbContext db, string name, CancellationToken cancellationToken) =>
        await db.Targets.SingleOrDefaultAsync(t => t.Name == name, cancellationToken).ConfigureAwait(false)
        ?? throw new CatalogException($"target '{name}' is not in the catalog (is it configured under Targets:{name}?)");

    private static async Task<SnapshotEntity> RequireSnapshotAsync(CatalogDbContext db, string snapshotId, CancellationToken cancellationToken) =>
        await db.Snapshots.SingleOrDefaultAsync(s => s.SnapshotId == snapshotId, cancellationToken).ConfigureAwait(false)
        ?? throw new CatalogException($"snapshot '{snapshotId}' is not in the catalog");
}
