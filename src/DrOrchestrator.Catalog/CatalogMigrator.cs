using System.Data.Common;
using Microsoft.Data.Sqlite;
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
    /// <summary>Applies every migration the catalog lacks; returns their names (none when it was up to date).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var provider = ProviderName(db);
            if (db.Database.IsSqlite())
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            }

            if (await HasEveryMigrationAsync(db, cancellationToken).ConfigureAwait(false))
            {
                Log.CatalogUpToDate(logger, provider);
                return [];
            }

            // EF Core's own migration lock did not stop two processes migrating a new PostgreSQL
            // catalog at once (both applied the second migration; CatalogMigrateCommandTests): a
            // session advisory lock serialises them, and the pending list is read inside it, so
            // each migration is applied, and reported, by exactly one process.
            bool postgres = db.Database.IsNpgsql();
            if (postgres)
            {
                await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await db.Database.ExecuteSqlRawAsync(LockMigrations, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
                if (pending.Count == 0)
                {
                    Log.CatalogUpToDate(logger, provider);
                    return [];
                }

                Log.ApplyingMigrations(logger, pending.Count, provider, string.Join(", ", pending));
                await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return pending;
            }
            finally
            {
                if (postgres)
                {
                    // Closing the session would free the lock too; unlocking first keeps a pooled session clean.
                    await db.Database.ExecuteSqlRawAsync(UnlockMigrations, CancellationToken.None).ConfigureAwait(false);
                    await db.Database.CloseConnectionAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// The PostgreSQL session advisory lock migrations hold: one bigint key, "drorch-m" in ASCII
    /// (0x64726f7263682d6d); the service's work claims use the two-int form, a separate key space.
    /// </summary>
    private const string LockMigrations = "SELECT pg_advisory_lock(7237970088222535021)";

    private const string UnlockMigrations = "SELECT pg_advisory_unlock(7237970088222535021)";

    /// <summary>
    /// What is applied and what is pending, changing nothing: an SQLite catalog file that does not
    /// exist is not created (every migration is pending), a PostgreSQL database without the
    /// history table has none applied.
    /// </summary>
    public async Task<CatalogMigrationState> GetStateAsync(CancellationToken cancellationToken)
    {
        var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var known = db.GetService<IMigrationsAssembly>().Migrations.Keys.Order(StringComparer.Ordinal).ToList();
            bool missingFile = db.Database.IsSqlite()
                && new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource is { Length: > 0 } file
                && file != ":memory:" && !File.Exists(file);
            var applied = missingFile ? [] : (await db.Database.GetAppliedMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            return new CatalogMigrationState(
                ProviderName(db), applied, [.. known.Except(applied, StringComparer.Ordinal)], [.. applied.Except(known, StringComparer.Ordinal)]);
        }
    }

    private static string ProviderName(CatalogDbContext db) => db.Database.IsSqlite() ? "SQLite" : "PostgreSQL";

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

/// <summary>
/// The catalog's schema as this build sees it: migrations applied, pending (this build would
/// apply them), and applied but unknown to this build (a newer drorch migrated the catalog).
/// </summary>
public sealed record CatalogMigrationState(string Provider, IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown);
