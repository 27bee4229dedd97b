using DrOrchestrator.Catalog.Configuration;
using DrOrchestrator.Catalog.Tests.Postgres;
using DrOrchestrator.Catalog.Tests.Support;
using DrOrchestrator.Testing.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DrOrchestrator.Catalog.Tests;

public sealed class SqliteMigrationTests : IDisposable
{
    private readonly TempSqliteFile _file = new();

    [Fact]
    public async Task Migrations_apply_on_a_fresh_file_in_wal_mode_and_rerun_as_no_op()
    {
        await using var harness = await CatalogHarness.CreateAsync(_file.Settings());
        await harness.Migrator.MigrateAsync(CancellationToken.None); // second run: nothing pending

        Assert.True(File.Exists(_file.FilePath));
        await using var connection = new SqliteConnection($"Data Source={_file.FilePath}");
        await connection.OpenAsync();
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode;"));
        Assert.Equal(
            "DrillFileVerifications,DrillMismatches,DrillResults,Policies,PolicyChanges,RunErrors,Runs,ScheduledFires,SnapshotPresence,Snapshots,Targets,__EFMigrationsHistory",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__EFMigrationsLock' ORDER BY name)"));
        await using var db = harness.Db();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task The_migrator_never_creates_the_folder_of_a_catalog()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"drorch-missing-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string?> { ["Catalog:Provider"] = "Sqlite", ["Catalog:ConnectionString"] = $"Data Source={missing}/dir/c.db" };
        await using var harness = await CatalogHarness.CreateAsync(settings, migrate: false);

        var failure = await Assert.ThrowsAsync<SqliteException>(() => harness.Migrator.MigrateAsync(CancellationToken.None));

        Assert.Equal(14, failure.SqliteErrorCode); // SQLITE_CANTOPEN
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task A_history_table_without_the_known_migrations_still_gets_them_applied()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file.FilePath)!);
        await using (var connection = new SqliteConnection($"Data Source={_file.FilePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE \"__EFMigrationsHistory\" (\"MigrationId\" TEXT NOT NULL PRIMARY KEY, \"ProductVersion\" TEXT NOT NULL);";
            await create.ExecuteNonQueryAsync();
        }

        await using var harness = await CatalogHarness.CreateAsync(_file.Settings(), migrate: false);
        Assert.False(await harness.Migrator.IsUpToDateAsync(CancellationToken.None));

        await harness.Migrator.MigrateAsync(CancellationToken.None);

        await using var db = harness.Db();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.True(await harness.Migrator.IsUpToDateAsync(CancellationToken.None));
        Assert.Empty(await db.Policies.ToListAsync());
    }

    [Fact]
    public async Task The_quick_check_fails_on_a_fresh_catalog_without_a_history_table()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file.FilePath)!);
        await using var harness = await CatalogHarness.CreateAsync(_file.Settings(), migrate: false);

        Assert.False(await harness.Migrator.IsUpToDateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Connections_wait_for_locks_with_the_configured_busy_timeout()
    {
        var settings = _file.Settings();
        settings["Catalog:BusyTimeoutSeconds"] = "7";
        await using var harness = await CatalogHarness.CreateAsync(settings);
        await using var db = harness.Db();
        await db.Database.OpenConnectionAsync();

        Assert.Equal("7000", await ScalarAsync((SqliteConnection)db.Database.GetDbConnection(), "PRAGMA busy_timeout;"));
    }

    public void Dispose() => _file.Dispose();

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Fails when someone changes the model without adding a migration for BOTH providers
/// (fix: <c>dotnet ef migrations add Name --project migrations/DrOrchestrator.Migrations.X</c>).
/// No server is needed: the model is compared with each assembly's model snapshot.
/// </summary>
public sealed class PendingModelChangesTests
{
    [Theory]
    [InlineData(CatalogProvider.Sqlite, "Data Source=unused.db", CatalogDbContextConfigurator.SqliteMigrationsAssembly)]
    [InlineData(CatalogProvider.Postgres, "Host=127.0.0.1;Database=unused;Username=unused", CatalogDbContextConfigurator.PostgresMigrationsAssembly)]
    public void Model_has_no_changes_missing_from_the_migrations(CatalogProvider provider, string connectionString, string assembly)
    {
        using var db = CatalogDbContextConfigurator.CreateDbContext(new CatalogOptions { Provider = provider, ConnectionString = connectionString });

        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.Equal(assembly, db.GetService<IMigrationsAssembly>().Assembly.GetName().Name);
        Assert.False(db.Database.HasPendingModelChanges(), $"the {provider} model changed without a migration in {assembly}");
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationTests(PostgresServerFixture server)
{
    [Fact]
    public async Task Migrations_apply_on_a_fresh_database_with_timestamptz_columns()
    {
        var database = await server.CreateDatabaseAsync();
        await using var harness = await CatalogHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["Catalog:Provider"] = "Postgres",
            ["Catalog:ConnectionString"] = server.ConnectionString(database),
            ["Catalog:PasswordEnvironmentVariable"] = PostgresServer.PasswordVariable,
        });
        await harness.Migrator.MigrateAsync(CancellationToken.None);

        await using var db = harness.Db();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        var type = await db.Database.SqlQueryRaw<string>(
            "SELECT data_type AS \"Value\" FROM information_schema.columns WHERE table_name = 'Snapshots' AND column_name = 'RecoveryPoint'").SingleAsync();
        Assert.Equal("timestamp with time zone", type);
    }
}
