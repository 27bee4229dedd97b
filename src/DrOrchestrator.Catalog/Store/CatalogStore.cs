using System.Data.Common;
using System.Globalization;
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
/// The statements every short command runs (its run's row, the policy it acts on) are plain ADO
/// through <see cref="CatalogConnections"/>; EF Core is built on the first call that needs it.
/// </summary>
public sealed partial class CatalogStore(
    Lazy<IDbContextFactory<CatalogDbContext>> factory, CatalogConnections connections, TimeProvider time, ILogger<CatalogStore> logger)
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
        await factory.Value.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);

    private static async Task<PolicyEntity> RequirePolicyAsync(CatalogDbContext db, string name, CancellationToken cancellationToken) =>
        await db.Policies.SingleOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false)
        ?? throw PolicyNotInCatalog(name);

    private static async Task<TargetEntity> RequireTargetAsync(CatalogDbContext db, string name, CancellationToken cancellationToken) =>
        await db.Targets.SingleOrDefaultAsync(t => t.Name == name, cancellationToken).ConfigureAwait(false)
        ?? throw TargetNotInCatalog(name);

    private static async Task<SnapshotEntity> RequireSnapshotAsync(CatalogDbContext db, string snapshotId, CancellationToken cancellationToken) =>
        await db.Snapshots.SingleOrDefaultAsync(s => s.SnapshotId == snapshotId, cancellationToken).ConfigureAwait(false)
        ?? throw new CatalogException($"snapshot '{snapshotId}' is not in the catalog");

    private static async Task<long> RequirePolicyIdAsync(DbConnection connection, string name, CancellationToken cancellationToken) =>
        await CatalogConnections.ScalarAsync(connection, null, """SELECT "Id" FROM "Policies" WHERE "Name" = @name""", cancellationToken, ("@name", name)).ConfigureAwait(false) is { } id
            ? Convert.ToInt64(id, CultureInfo.InvariantCulture)
            : throw PolicyNotInCatalog(name);

    private static async Task<long> RequireTargetIdAsync(DbConnection connection, string name, CancellationToken cancellationToken) =>
        await CatalogConnections.ScalarAsync(connection, null, """SELECT "Id" FROM "Targets" WHERE "Name" = @name""", cancellationToken, ("@name", name)).ConfigureAwait(false) is { } id
            ? Convert.ToInt64(id, CultureInfo.InvariantCulture)
            : throw TargetNotInCatalog(name);

    private static CatalogException PolicyNotInCatalog(string name) => new($"policy '{name}' is not in the catalog (run 'drorch policy apply' first)");

    private static CatalogException TargetNotInCatalog(string name) => new($"target '{name}' is not in the catalog (is it configured under Targets:{name}?)");
}
