using System.Data.Common;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using DrOrchestrator.Catalog.Configuration;
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
public sealed class CatalogMigrator(Lazy<IDbContextFactory<CatalogDbContext>> factory, CatalogConnections connections, ILogger<CatalogMigrator> logger)
{
    /// <summary>Applies every migration the catalog lacks; returns their names (none when it was up to date).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        // The common case — every command calls this on a catalog that is up to date — is answered
        // with plain ADO, so a command that needs no EF query never builds EF Core (§17, §68).
        var provider = connections.IsSqlite ? "SQLite" : "PostgreSQL";
        if (await IsUpToDateAsync(cancellationToken).ConfigureAwait(false))
        {
            Log.CatalogUpToDate(logger, provider);
            return [];
        }

        return await MigrateWithEfAsync(provider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A method of its own: its state machine names EF types, which the quick path must not load.</summary>
    private async Task<IReadOnlyList<string>> MigrateWithEfAsync(string provider, CancellationToken cancellationToken)
    {
        var db = await factory.Value.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
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
        var db = await factory.Value.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
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
    /// On SQLite, switches the file to WAL mode (persistent, so a no-op after the first time);
    /// then true when the history table lists every migration this build knows. EF's own check
    /// answers the same question but first builds EF Core and a model of the history table, a cost
    /// every command would pay (§17); this reads the table directly. Anything else (no table yet
    /// on a new catalog, a migration missing) goes the full EF way.
    /// </summary>
    internal async Task<bool> IsUpToDateAsync(CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (connections.IsSqlite)
                {
                    await CatalogConnections.ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
                }

                var command = CatalogConnections.Command(connection, null, $"SELECT \"MigrationId\" FROM \"{HistoryRepository.DefaultTableName}\"");
                await using (command.ConfigureAwait(false))
                {
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
        }
        catch (DbException)
        {
            // No history table yet — or no catalog at all: the EF path reports that as it always did.
            return false;
        }

        return KnownMigrations(connections.IsSqlite).All(applied.Contains);
    }

    /// <summary>
    /// The ids of the migrations this build knows for the provider: the <see cref="MigrationAttribute"/>
    /// of every type in its migrations assembly, read from the assembly's metadata. Loading the
    /// types, as EF's migrations assembly does, loads EF Core and the compiled model with them
    /// (~9 MiB resident and tens of ms for a command that needs neither, §68); a test compares the
    /// list with EF's.
    /// </summary>
    internal static IReadOnlyList<string> KnownMigrations(bool sqlite)
    {
        var assembly = Assembly.Load(sqlite ? CatalogDbContextConfigurator.SqliteMigrationsAssembly : CatalogDbContextConfigurator.PostgresMigrationsAssembly);
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var metadata = pe.GetMetadataReader();
        var ids = new List<string>();
        foreach (var handle in metadata.CustomAttributes)
        {
            var attribute = metadata.GetCustomAttribute(handle);
            if (attribute.Parent.Kind == HandleKind.TypeDefinition && IsMigrationAttribute(metadata, attribute))
            {
                var value = metadata.GetBlobReader(attribute.Value);
                if (value.ReadUInt16() == 1 && value.ReadSerializedString() is { } id)
                {
                    ids.Add(id);
                }
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    private static bool IsMigrationAttribute(MetadataReader metadata, CustomAttribute attribute)
    {
        if (attribute.Constructor.Kind != HandleKind.MemberReference)
        {
            return false;
        }

        var parent = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
        if (parent.Kind != HandleKind.TypeReference)
        {
            return false;
        }

        var type = metadata.GetTypeReference((TypeReferenceHandle)parent);
        return metadata.StringComparer.Equals(type.Name, nameof(MigrationAttribute))
            && metadata.StringComparer.Equals(type.Namespace, "Microsoft.EntityFrameworkCore.Migrations");
    }
}

/// <summary>
/// The catalog's schema as this build sees it: migrations applied, pending (this build would
/// apply them), and applied but unknown to this build (a newer drorch migrated the catalog).
/// </summary>
public sealed record CatalogMigrationState(string Provider, IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown);
