using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Catalog;

/// <summary>
/// Brings the catalog schema up to date at start-up. EF takes a migration lock, so several
/// nodes starting at once apply each migration once. On SQLite it also switches the file to
/// WAL mode (persistent), so readers never block the writer and the CLI can read while the
/// server writes.
/// </summary>
public sealed class CatalogMigrator(IDbContextFactory<CatalogDbContext> factory, ILogger<CatalogMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var provider = db.Database.IsSqlite() ? "SQLite" : "PostgreSQL";
            if (db.Database.IsSqlite())
            {
                EnsureSqliteDirectory(db.Database.GetConnectionString());
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            if (pending.Count == 0)
            {
                Log.CatalogUpToDate(logger, provider);
                return;
            }

            Log.ApplyingMigrations(logger, pending.Count, provider, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // SQLite creates the file but not its directory; a fresh install should not fail on that.
    private static void EnsureSqliteDirectory(string? connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}
