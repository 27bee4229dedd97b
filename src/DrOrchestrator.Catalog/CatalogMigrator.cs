using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Catalog;

/// <summary>
/// Brings the catalog schema up to date at start-up. EF takes a migration lock, so several
/// nodes starting at once apply each migration once. On SQLite it also switches the file to
/// WAL mode (persistent), so readers never block the writer and the CLI can read while the
/// server writes. It never creates the folder of an SQLite catalog: a catalog path under a
/// missing folder is a configuration mistake, reported before any command runs.
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
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            }

            if (await HasEveryMigrationAsync(db, cancellationToken).ConfigureAwait(false))
            {
                Log.CatalogUpToDate(logger, provider);
                return;
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

    /// <summary>
    /// True when the history table lists every migration this build knows: the common case, as
    /// every command calls the migrator. EF's own check answers the same question but first builds
    /// a model of the history table, a cost every command would pay (docs/decisions.md §17);
    /// this reads the table directly. Anything else (no table yet on a new catalog, a migration
    /// missing) goes the full EF way.
    /// </summary>
    internal static async Task<bool> HasEveryMigrationAsync(CatalogDbContext db, CancellationToken cancellationToken)
    {
        var known = db.GetService<IMigrationsAssembly>().Migrations.Keys;
        var applied = new HashSet<string>(StringComparer.Ordinal);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = $"SELECT \"MigrationId\" FROM \"{HistoryRepository.DefaultTableName}\"";
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        applied.Add(reader.GetString(0));
                    }
                }
            }
        }
        catch (DbException)
        {
            return false; // no history table yet
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }

        return known.All(applied.Contains);
    }
}
